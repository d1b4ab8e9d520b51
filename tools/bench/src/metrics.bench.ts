import { decodeImage, encodePng, RgbImage } from '@forge/imaging';
import { frechetDistance, greyFromRgb, imageQuality, msSsim, seededRandom } from '@forge/metrics';
import { Benchmark, BenchRow, compared, medianMs } from './harness';

// Five report metrics on N 64×64 images. Baseline: one plain loop computing the mean of the same
// pixels (the least any per-pixel metric must do), so the ratio says what the filters cost.

function fundusLike(size: number, seed: number): RgbImage {
  const rng = seededRandom(seed);
  const data = new Uint8Array(size * size * 3);
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x + 0.5 - c, y + 0.5 - c) / (size * 0.45);
      if (r > 1) continue;
      const i = (y * size + x) * 3;
      const noise = rng.next() * 20 - 10;
      data[i] = Math.max(0, Math.min(255, 200 * (1 - 0.35 * r * r) + noise));
      data[i + 1] = Math.max(0, Math.min(255, 90 * (1 - 0.35 * r * r) + noise / 2));
      data[i + 2] = 40;
    }
  }
  return { width: size, height: size, channels: 3, data };
}

function meanOfAllPixels(images: RgbImage[]): number {
  let total = 0;
  for (const img of images) {
    let s = 0;
    for (let i = 0; i < img.data.length; i++) s += img.data[i];
    total += s / img.data.length;
  }
  return total;
}

export const benchmark: Benchmark = {
  name: 'metrics',
  description: 'five report metrics, decode+metrics, MS-SSIM pairs and Fréchet distance on 64×64 images',
  async run({ runs, quick, log }) {
    const count = quick ? 200 : 1000;
    const images = Array.from({ length: count }, (_, i) => fundusLike(64, i + 1));
    const pngs = await Promise.all(images.map((img) => encodePng(img)));
    const rows: BenchRow[] = [];

    log(`baseline: mean over ${count} images`);
    let sink = 0;
    const baselineMs = await medianMs(runs, () => {
      sink += meanOfAllPixels(images);
    });
    const baselineRate = count / (baselineMs / 1000);

    log(`five metrics on ${count} images`);
    const fiveMs = await medianMs(runs, () => {
      for (const img of images) sink += imageQuality(img).sharpness;
    });
    rows.push(compared(`five metrics, ${count}× 64×64`, count / (fiveMs / 1000), 'images/s', baselineRate));
    rows.push({ name: `five metrics, ${count}× 64×64, total`, value: fiveMs / 1000, unit: 's' });

    log(`decode PNG + five metrics on ${count} images`);
    const decodeMs = await medianMs(runs, async () => {
      for (let i = 0; i < pngs.length; i++) sink += imageQuality(await decodeImage(pngs[i], `bench-${i}.png`)).snr;
    });
    rows.push(compared('decode PNG + five metrics', count / (decodeMs / 1000), 'images/s', baselineRate));

    const greys = images.slice(0, 200).map(greyFromRgb);
    log('MS-SSIM on 100 pairs');
    const pairMs = await medianMs(runs, () => {
      for (let p = 0; p < 100; p++) sink += msSsim(greys[2 * p], greys[2 * p + 1]).value;
    });
    rows.push(compared('MS-SSIM (+SSIM), 64×64 pairs', 100 / (pairMs / 1000), 'pairs/s', baselineRate));

    const dim = quick ? 64 : 256;
    const rng = seededRandom(7);
    const features = (n: number) => Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.next() - 0.5));
    const a = features(1000);
    const b = features(1000);
    log(`Fréchet distance, 1000+1000 × ${dim}`);
    const fdMs = await medianMs(Math.min(runs, 3), () => {
      sink += frechetDistance(a, b);
    });
    rows.push({ name: `Fréchet distance, d=${dim}, n=1000`, value: fdMs / 1000, unit: 's' });

    if (!Number.isFinite(sink)) throw new Error('benchmark produced a non-finite result');
    return rows;
  },
};
