import reference from './fixtures/reference.json';
import { classProbabilities, featureSet, rankedValues, testPattern, testRgb } from './fixtures/reference-inputs';
import { frechetDistance } from './frechet';
import { greyFromBytes, lumaPil } from './grey';
import { imageQuality, imageQualityNames } from './image-quality';
import { inceptionScore } from './inception-score';
import { kernelInceptionDistance, mmd2Unbiased } from './kid';
import { precisionRecall } from './precision-recall';
import { seededRandom } from './random';
import { msSsim, ssim } from './ssim';
import { auc, spearman, tQuantile } from './stats';

// Values computed by numpy / scipy / scikit-image / Pillow (tools/reference/metrics_reference.py).
function expectRelative(actual: number, expected: number, tolerance: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  if (!(Math.abs(actual - expected) <= tolerance * scale)) {
    throw new Error(`${what}: got ${actual}, reference ${expected} (relative error ${Math.abs(actual - expected) / scale}, tolerance ${tolerance})`);
  }
}

describe('reference inputs', () => {
  it('regenerates the same random stream as the Python script', () => {
    const rng = seededRandom(42);
    expect(reference.mulberry32First.map(() => rng.nextU32())).toEqual(reference.mulberry32First);
  });
});

describe('five report metrics against numpy/scipy/Pillow', () => {
  it.each(reference.images.map((r) => [`${r.width}×${r.height}`, r] as const))('%s', (_label, r) => {
    const rgb = testRgb(r.width, r.height, r.seed);
    const luma = lumaPil(rgb);
    expect(Array.from(luma.subarray(0, 16))).toEqual(r.lumaFirst);
    expect(luma.reduce((s, v) => s + v, 0)).toBe(r.lumaSum);
    const q = imageQuality(rgb);
    for (const name of imageQualityNames) expectRelative(q[name], r.metrics[name], 1e-9, name);
  });
});

describe('SSIM and MS-SSIM against scikit-image', () => {
  it.each(reference.ssim.map((r) => [`${r.width}×${r.height}`, r] as const))('%s', (_label, r) => {
    const a = greyFromBytes(r.width, r.height, testPattern(r.width, r.height, r.seedA, 1));
    const b = greyFromBytes(r.width, r.height, testPattern(r.width, r.height, r.seedB, 1, Math.floor(r.width / 2) + r.shift, Math.floor(r.height / 2)));
    expectRelative(ssim(a, b), r.ssim, 1e-9, 'ssim');
    const ms = msSsim(a, b);
    expect(ms.scales).toBe(r.scales);
    expect(ms.ssim).toBe(ssim(a, b));
    expectRelative(ms.value, r.msSsim, 1e-9, 'ms-ssim');
  });
});

describe('feature-space metrics against numpy/scipy', () => {
  it.each(reference.features.map((r) => [`${r.nA}+${r.nB} × ${r.dim}`, r] as const))('%s', (_label, r) => {
    const x = featureSet(r.nA, r.dim, r.seedA, 1.0, 0.0);
    const y = featureSet(r.nB, r.dim, r.seedB, 1.25, 0.125);
    expectRelative(frechetDistance(x, y), r.frechet, 1e-6, 'Fréchet distance');
    expect(Math.abs(frechetDistance(x, x))).toBeLessThan(1e-9 * r.frechet);
    expectRelative(mmd2Unbiased(x, y), r.mmd2, 1e-9, 'MMD²');
    const kid = kernelInceptionDistance(x, y, { subsets: r.kid.subsets, subsetSize: r.kid.subsetSize, seed: r.kid.seed });
    expectRelative(kid.mean, r.kid.mean, 1e-9, 'KID mean');
    expectRelative(kid.std, r.kid.std, 1e-9, 'KID std');
    const pr = precisionRecall(x, y, 3);
    expect(pr.precision).toBeCloseTo(r.precision, 12);
    expect(pr.recall).toBeCloseTo(r.recall, 12);
  });

  it('inception score', () => {
    const r = reference.inceptionScore;
    const is = inceptionScore(classProbabilities(r.n, r.classes, r.seed, r.sharpness), r.splits);
    expectRelative(is.mean, r.mean, 1e-9, 'IS mean');
    expectRelative(is.std, r.std, 1e-9, 'IS std');
  });
});

describe('statistics against scipy', () => {
  it('Spearman, AUC and t quantiles', () => {
    const r = reference.stats;
    const { a, b } = rankedValues(r.n, r.seed);
    expectRelative(spearman(a, b), r.spearman, 1e-12, 'spearman');
    const labels = a.map((_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    expectRelative(auc(b, labels), r.auc, 1e-12, 'auc');
    for (const [df, q] of Object.entries(r.tQuantile975)) expectRelative(tQuantile(0.975, Number(df)), q, 1e-9, `t quantile df=${df}`);
  });
});
