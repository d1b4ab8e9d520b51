import { reflectIndex } from './filters';
import { frechetDistance } from './frechet';
import { greyFromBytes } from './grey';
import { imageQuality } from './image-quality';
import { inceptionScore } from './inception-score';
import { kernelInceptionDistance } from './kid';
import { Matrix, multiply, symmetricEigen } from './linalg';
import { precisionRecall } from './precision-recall';
import { sampleWithoutReplacement, seededRandom } from './random';
import { msSsim, msSsimScales, ssim } from './ssim';
import { auc, bootstrapMeanCI, meanCI, spearman } from './stats';

function gaussianRows(n: number, d: number, seed: number, shift = 0): number[][] {
  const rng = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: n }, () => Array.from({ length: d }, () => normal() + shift));
}

describe('report metrics on known images', () => {
  it('a flat image has no contrast, sharpness, vessel detail or non-uniformity', () => {
    const q = imageQuality({ width: 20, height: 16, data: new Uint8Array(20 * 16 * 3).fill(128) });
    expect(q.contrast).toBe(0);
    expect(q.sharpness).toBeCloseTo(0, 12);
    expect(q.vesselVisibility).toBeCloseTo(0, 12);
    expect(q.uniformity).toBeCloseTo(0, 12);
    expect(q.snr).toBeGreaterThan(1e6);
  });

  it('a vertical edge is sharp; a horizontal one is not (the Sobel derivative is along x only)', () => {
    const make = (vertical: boolean) => {
      const data = new Uint8Array(16 * 16 * 3);
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) data.fill((vertical ? x : y) < 8 ? 0 : 255, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
      return imageQuality({ width: 16, height: 16, data });
    };
    // Each edge row contributes |-1·0 + 1·1| · (1 + 2 + 1) at two columns: 8 / 16 per pixel.
    expect(make(true).sharpness).toBeCloseTo(0.5, 12);
    expect(make(false).sharpness).toBeCloseTo(0, 12);
  });

  it('reflects indices like scipy for offsets longer than the line', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 3))).toEqual([2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
  });
});

describe('SSIM', () => {
  const rng = seededRandom(3);
  const bytes = Array.from({ length: 64 * 64 }, () => Math.floor(rng.next() * 256));
  const a = greyFromBytes(64, 64, bytes);

  it('is 1 for identical images and lower for a noisier copy', () => {
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    expect(msSsim(a, a).value).toBeCloseTo(1, 12);
    const b = greyFromBytes(64, 64, bytes.map((v, i) => Math.min(255, Math.max(0, v + ((i * 37) % 41) - 20))));
    expect(ssim(a, b)).toBeLessThan(0.99);
    expect(ssim(a, b)).toBeGreaterThan(0.5);
  });

  it('reduces MS-SSIM scales for small images and refuses images below the window', () => {
    expect(msSsimScales(256, 256)).toBe(5);
    expect(msSsimScales(176, 200)).toBe(5);
    expect(msSsimScales(175, 200)).toBe(4);
    expect(msSsimScales(64, 64)).toBe(3);
    expect(msSsim(a, a).scales).toBe(3);
    const tiny = greyFromBytes(10, 10, new Array(100).fill(3));
    expect(() => ssim(tiny, tiny)).toThrow(/at least 11×11/);
    expect(() => ssim(a, tiny)).toThrow(/equal sizes/);
  });
});

describe('linear algebra', () => {
  it('Jacobi eigen-decomposition reconstructs a symmetric matrix with orthonormal vectors', () => {
    const n = 40;
    const rng = seededRandom(9);
    const data = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = data[j * n + i] = rng.next() - 0.5;
    const m: Matrix = { rows: n, cols: n, data };
    const { values, vectors } = symmetricEigen(m);
    const vt: Matrix = { rows: n, cols: n, data: new Float64Array(n * n) };
    const vl: Matrix = { rows: n, cols: n, data: new Float64Array(n * n) };
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        vt.data[j * n + i] = vectors.data[i * n + j];
        vl.data[i * n + j] = vectors.data[i * n + j] * values[j];
      }
    }
    const back = multiply(vl, vt);
    const identity = multiply(vt, vectors);
    for (let i = 0; i < n * n; i++) {
      expect(Math.abs(back.data[i] - data[i])).toBeLessThan(1e-10);
      expect(Math.abs(identity.data[i] - (i % (n + 1) === 0 ? 1 : 0))).toBeLessThan(1e-10);
    }
  });
});

describe('feature-space metrics', () => {
  const real = gaussianRows(300, 8, 1);
  const same = gaussianRows(300, 8, 2);
  const shifted = gaussianRows(300, 8, 3, 1);

  it('FD and KID are small within one distribution and grow with a shift', () => {
    const fdSame = frechetDistance(real, same);
    const fdShift = frechetDistance(real, shifted);
    expect(fdSame).toBeLessThan(0.5);
    expect(fdShift).toBeGreaterThan(6); // |Δμ|² = 8
    const kidSame = kernelInceptionDistance(real, same, { subsets: 20, subsetSize: 100, seed: 1 });
    const kidShift = kernelInceptionDistance(real, shifted, { subsets: 20, subsetSize: 100, seed: 1 });
    expect(Math.abs(kidSame.mean)).toBeLessThan(3 * kidSame.std + 0.05);
    expect(kidShift.mean).toBeGreaterThan(10 * Math.abs(kidSame.mean));
    expect(kidShift.values).toHaveLength(20);
    expect(kernelInceptionDistance(real, shifted, { subsets: 20, subsetSize: 100, seed: 1 })).toEqual(kidShift);
  });

  it('precision and recall: identical sets cover each other, a collapsed set has low recall', () => {
    expect(precisionRecall(real, real)).toEqual({ precision: 1, recall: 1 });
    const collapsed = real.slice(0, 30).map((r) => r.map((v) => v * 0.1));
    const pr = precisionRecall(real, collapsed);
    expect(pr.precision).toBeGreaterThan(0.9);
    expect(pr.recall).toBeLessThan(0.3);
  });

  it('rejects ragged or mismatched feature sets', () => {
    expect(() => frechetDistance([[1, 2], [3]], [[1, 2], [2, 3]])).toThrow(/row 1 has 1 values/);
    expect(() => frechetDistance(real, gaussianRows(10, 4, 5))).toThrow(/dimensions differ/);
    expect(() => frechetDistance([[1, NaN], [1, 2]], real)).toThrow(/not a finite number/);
  });

  it('inception score is 1 for uniform predictions and the class count for confident, balanced ones', () => {
    const uniform = Array.from({ length: 50 }, () => new Array(5).fill(0.2));
    expect(inceptionScore(uniform, 5).mean).toBeCloseTo(1, 12);
    const confident = Array.from({ length: 50 }, (_, i) => Array.from({ length: 5 }, (_, c) => (c === i % 5 ? 1 : 0)));
    const is = inceptionScore(confident, 5);
    expect(is.mean).toBeCloseTo(5, 10);
    expect(is.std).toBeCloseTo(0, 10);
    expect(() => inceptionScore([[0.5, 0.6]], 1)).toThrow(/sums to/);
  });
});

describe('statistics helpers', () => {
  it('intervals contain the mean and narrow with more data', () => {
    const values = gaussianRows(200, 1, 4).map((r) => r[0] + 3);
    const t = meanCI(values);
    const b = bootstrapMeanCI(values, { seed: 2 });
    for (const ci of [t, b]) {
      expect(ci.low).toBeLessThan(3.3);
      expect(ci.high).toBeGreaterThan(2.7);
      expect(ci.low).toBeLessThan(ci.estimate);
      expect(ci.high).toBeGreaterThan(ci.estimate);
    }
    expect(Math.abs(t.high - t.low - (b.high - b.low))).toBeLessThan(0.1);
    const narrow = meanCI(values.concat(values, values, values));
    expect(narrow.high - narrow.low).toBeLessThan(t.high - t.low);
  });

  it('Spearman and AUC at their extremes', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 25, 100])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(auc([0.5, 0.5], [1, 0])).toBe(0.5);
  });

  it('draws distinct indices', () => {
    const idx = sampleWithoutReplacement(10, 10, seededRandom(1));
    expect([...idx].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => sampleWithoutReplacement(3, 4, seededRandom(1))).toThrow(RangeError);
  });
});
