import { performance } from 'node:perf_hooks';
import { judgeImage, renderPhantom } from '@forge/phantom';
import { Benchmark, BenchRow, compared, median } from './harness';

// Phantom rendering and judging speed. The baseline is the cheapest possible image of the same size:
// one pass filling the RGB buffer with a radial gradient, so the ratio says how many such passes a phantom costs.

function radialGradient(size: number, out: Uint8ClampedArray): void {
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x + 0.5 - c, y + 0.5 - c) / c;
      const v = r > 1 ? 0 : 1 - r * r;
      const i = (y * size + x) * 3;
      out[i] = 220 * v;
      out[i + 1] = 90 * v;
      out[i + 2] = 40 * v;
    }
  }
}

/** Images per second over `count` items, median of `runs` runs. */
function rate(runs: number, count: number, fn: (i: number) => void): number {
  const perSecond: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) fn(r * count + i);
    perSecond.push((count * 1000) / (performance.now() - t0));
  }
  return median(perSecond);
}

export const benchmark: Benchmark = {
  name: 'phantom',
  description: 'phantom renders/s at 64 and 256 px (vs a plain radial-gradient fill), and judge images/s',
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    for (const size of [64, 256]) {
      const count = (size === 64 ? 200 : 20) * (quick ? 0.25 : 1);
      const buf = new Uint8ClampedArray(size * size * 3);
      rate(1, Math.max(2, count / 4), (i) => renderPhantom({ seed: i, size })); // warm-up
      const plain = rate(runs, count * 20, () => radialGradient(size, buf));
      const ours = rate(runs, count, (i) => renderPhantom({ seed: 1000 + i, size }));
      log(`render ${size}px: ${ours.toFixed(1)} img/s, gradient fill ${plain.toFixed(0)} img/s`);
      rows.push(compared(`render ${size}×${size}`, ours, 'img/s', plain));
    }
    for (const size of [64, 256]) {
      const images = Array.from({ length: size === 64 ? 40 : 10 }, (_, i) => renderPhantom({ seed: 5000 + i, size }));
      const buf = new Uint8ClampedArray(size * size * 3);
      const plain = rate(runs, 200, () => radialGradient(size, buf));
      const judged = rate(runs, images.length, (i) => {
        const p = images[i % images.length];
        judgeImage(p, p.caption);
      });
      log(`judge ${size}px: ${judged.toFixed(1)} img/s`);
      rows.push(compared(`judge quality+match ${size}×${size}`, judged, 'img/s', plain));
    }
    return rows;
  },
};
