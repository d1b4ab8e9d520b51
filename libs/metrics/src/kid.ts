import { FeatureRows } from './frechet';
import { Matrix, toMatrix } from './linalg';
import { sampleWithoutReplacement, seededRandom } from './random';
import { mean, populationStd } from './stats';

/** Σ of k(x_i, y_j) = (x_i·y_j / d + 1)³ over the chosen rows; the diagonal skipped when `sameSet`. */
function kernelSum(x: Matrix, xi: number[], y: Matrix, yi: number[], sameSet: boolean): number {
  const d = x.cols;
  let sum = 0;
  for (let a = 0; a < xi.length; a++) {
    const xo = xi[a] * d;
    for (let b = sameSet ? a + 1 : 0; b < yi.length; b++) {
      const yo = yi[b] * d;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x.data[xo + k] * y.data[yo + k];
      const base = dot / d + 1;
      sum += base * base * base;
    }
  }
  // Within one set the kernel is symmetric: the upper triangle counted twice.
  return sameSet ? 2 * sum : sum;
}

function mmd2(x: Matrix, xi: number[], y: Matrix, yi: number[]): number {
  const m = xi.length;
  const n = yi.length;
  if (m < 2 || n < 2) throw new RangeError(`unbiased MMD² needs at least 2 samples per set, got ${m} and ${n}`);
  return kernelSum(x, xi, x, xi, true) / (m * (m - 1)) + kernelSum(y, yi, y, yi, true) / (n * (n - 1)) - (2 * kernelSum(x, xi, y, yi, false)) / (m * n);
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y/d + 1)³ on whole sets. */
export function mmd2Unbiased(a: FeatureRows, b: FeatureRows): number {
  const x = toMatrix(a, 'first feature set');
  const y = toMatrix(b, 'second feature set');
  if (x.cols !== y.cols) throw new RangeError(`feature dimensions differ: ${x.cols} and ${y.cols}`);
  return mmd2(x, all(x.rows), y, all(y.rows));
}

export interface KidOptions {
  subsets: number;
  /** Capped at the smaller set's size. */
  subsetSize: number;
  seed: number;
}

export const defaultKidOptions: KidOptions = { subsets: 100, subsetSize: 1000, seed: 0 };

/**
 * Kernel Inception Distance (Bińkowski et al. 2018) in any feature space: the unbiased MMD² over
 * `subsets` random subsets of equal size drawn without replacement, mean and (population) std.
 */
export function kernelInceptionDistance(a: FeatureRows, b: FeatureRows, options: Partial<KidOptions> = {}): { mean: number; std: number; values: number[] } {
  const o = { ...defaultKidOptions, ...options };
  const x = toMatrix(a, 'first feature set');
  const y = toMatrix(b, 'second feature set');
  if (x.cols !== y.cols) throw new RangeError(`feature dimensions differ: ${x.cols} and ${y.cols}`);
  const m = Math.min(o.subsetSize, x.rows, y.rows);
  const rng = seededRandom(o.seed);
  const values: number[] = [];
  for (let s = 0; s < o.subsets; s++) {
    const xi = sampleWithoutReplacement(x.rows, m, rng);
    const yi = sampleWithoutReplacement(y.rows, m, rng);
    values.push(mmd2(x, xi, y, yi));
  }
  return { mean: mean(values), std: populationStd(values), values };
}
