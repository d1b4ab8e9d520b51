import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { encodePng, rgbImage } from '@forge/imaging';
import { imageQuality } from '@forge/metrics';
import { register } from './metrics.command';

/** A disc whose brightness depends on `k`, on black, with a deterministic texture. */
function disc(size: number, k: number) {
  const img = rgbImage(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((x - size / 2) ** 2 + (y - size / 2) ** 2 > (size * 0.42) ** 2) continue;
      const i = (y * size + x) * 3;
      const t = ((x * 31 + y * 17 + k * 13) % 23) - 11;
      img.data[i] = 150 + k * 5 + t;
      img.data[i + 1] = 70 + t;
      img.data[i + 2] = 30;
    }
  }
  return img;
}

async function run(args: string[]): Promise<string> {
  const program = new Command('forge').exitOverride();
  register(program);
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(['node', 'forge', 'metrics', ...args]);
  } finally {
    write.mockRestore();
  }
  return out;
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'forge-metrics-'));
  for (const [set, count] of [
    ['real', 6],
    ['gen', 5],
  ] as const) {
    await fs.mkdir(path.join(dir, set, 'nested'), { recursive: true });
    for (let k = 0; k < count; k++) await fs.writeFile(path.join(dir, set, k % 2 ? 'nested' : '', `${k}.png`), await encodePng(disc(32, set === 'real' ? k : k + 10)));
  }
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('forge metrics', () => {
  it('--json reports the five metrics per folder, SSIM between folders and within-set diversity', async () => {
    const out = JSON.parse(await run([path.join(dir, 'real'), path.join(dir, 'gen'), '--json', '--pairs', '20']));
    expect(out.sets.map((s: { label: string; count: number }) => [s.label, s.count])).toEqual([
      ['real', 6],
      ['generated', 5],
    ]);
    const expected = [0, 1, 2, 3, 4, 5].map((k) => imageQuality(disc(32, k)).sharpness);
    const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
    expect(out.sets[0].metrics.sharpness.mean).toBeCloseTo(mean, 12);
    expect(out.sets[0].metrics.sharpness.n).toBe(6);
    expect(out.comparisonSize).toBe(32);
    expect(out.between.pairs).toBe(20);
    expect(out.between.ssim.mean).toBeGreaterThan(0);
    expect(out.between.ssim.mean).toBeLessThan(1);
    expect(out.sets[1].withinSet.msSsim.mean).toBeGreaterThan(0);
    expect(out.between.scales).toBe(2);
  });

  it('prints a side-by-side table', async () => {
    const out = await run([path.join(dir, 'real'), path.join(dir, 'gen'), '--pairs', '5', '--labels', 'A,B']);
    expect(out).toMatch(/^metric\s+A \(real, n=6\)\s+B \(gen, n=5\)/);
    for (const name of ['snr', 'contrast', 'sharpness', 'vesselVisibility', 'uniformity', 'MS-SSIM within set']) expect(out).toMatch(new RegExp(`\\n${name}\\s+[-0-9.]+ ± [0-9.]+\\s+[-0-9.]+ ± [0-9.]+`));
    expect(out).toMatch(/between sets: SSIM [0-9.]+ ± [0-9.]+/);
  });

  it('names a bad image file, or skips it with --skip-bad', async () => {
    await fs.writeFile(path.join(dir, 'real', 'broken.png'), 'not really a png');
    await expect(run([path.join(dir, 'real'), '--json'])).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringContaining('broken.png') });
    let errText = '';
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errText += chunk.toString();
      return true;
    });
    const out = JSON.parse(await run([path.join(dir, 'real'), '--json', '--skip-bad', '--pairs', '3']).finally(() => stderr.mockRestore()));
    expect(errText).toMatch(/skipped .*broken\.png: unrecognised or corrupt/);
    expect(out.sets[0].count).toBe(6);
    expect(out.sets[0].skipped[0].file).toContain('broken.png');
    expect(out.between).toBeNull();
  });

  it('refuses an empty or missing folder', async () => {
    await fs.mkdir(path.join(dir, 'empty'));
    await expect(run([path.join(dir, 'empty')])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(run([path.join(dir, 'missing')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('forge metrics on phantom fundus images', () => {
  it('is deterministic and tells clean phantoms from defocused copies', async () => {
    const { renderPhantom } = await import('@forge/phantom');
    const sharp = (await import('sharp')).default;
    for (const set of ['clean', 'blurred']) await fs.mkdir(path.join(dir, set));
    for (let seed = 1; seed <= 8; seed++) {
      const p = renderPhantom({ seed, size: 64, quality: 3 });
      const image = rgbImage(64, 64, Uint8Array.from(p.rgb));
      await fs.writeFile(path.join(dir, 'clean', `${seed}.png`), await encodePng(image));
      await fs.writeFile(path.join(dir, 'blurred', `${seed}.png`), await sharp(image.data, { raw: { width: 64, height: 64, channels: 3 } }).blur(1.5).png().toBuffer());
    }
    const args = [path.join(dir, 'clean'), path.join(dir, 'blurred'), '--json', '--pairs', '10', '--seed', '3'];
    const first = await run(args);
    expect(await run(args)).toBe(first);
    const out = JSON.parse(first);
    const [clean, blurred] = out.sets;
    expect(blurred.metrics.sharpness.mean).toBeLessThan(clean.metrics.sharpness.mean);
    expect(blurred.metrics.vesselVisibility.mean).toBeLessThan(clean.metrics.vesselVisibility.mean);
    expect(clean.metrics.contrast.mean).toBeGreaterThan(0.3);
    expect(clean.withinSet.msSsim.mean).toBeLessThan(0.99);
  });
});
