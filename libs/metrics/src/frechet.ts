import { columnMeans, covariance, Matrix, multiply, sqrtPsd, symmetricEigen, toMatrix, trace } from './linalg';

export type FeatureRows = ArrayLike<ArrayLike<number>>;

/** Mean and covariance of a feature set: all the Fréchet distance needs, and cheap to cache. */
export interface GaussianStats {
  mean: Float64Array;
  covariance: Matrix;
  count: number;
}

export function gaussianStats(features: FeatureRows, what = 'features'): GaussianStats {
  const m = toMatrix(features, what);
  const mean = columnMeans(m);
  return { mean, covariance: covariance(m, mean), count: m.rows };
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets:
 * |μ1 − μ2|² + tr C1 + tr C2 − 2 tr (C1^½ C2 C1^½)^½.
 * The last trace uses the symmetric form, equal to tr (C1 C2)^½ but computable with a symmetric
 * eigen-solver and free of the complex round-off scipy's sqrtm produces.
 * Call it FD-<encoder> ("FD-fundus"): it is comparable only within one feature extractor.
 */
export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): number {
  const d = a.mean.length;
  if (b.mean.length !== d) throw new RangeError(`feature dimensions differ: ${d} and ${b.mean.length}`);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const s1 = sqrtPsd(a.covariance);
  const middle = multiply(multiply(s1, b.covariance), s1);
  const { values } = symmetricEigen(middle, { vectors: false });
  let traceSqrt = 0;
  for (const v of values) traceSqrt += Math.sqrt(Math.max(v, 0));
  return meanTerm + trace(a.covariance) + trace(b.covariance) - 2 * traceSqrt;
}

export function frechetDistance(a: FeatureRows, b: FeatureRows): number {
  return frechetDistanceFromStats(gaussianStats(a, 'first feature set'), gaussianStats(b, 'second feature set'));
}
