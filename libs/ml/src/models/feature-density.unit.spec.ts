import { choleskyWithJitter } from './feature-density';

// The covariance factorisation behind the selector's distance to its training data.

/** L·Lᵀ of a row-major lower-triangular L. */
function product(l: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j] += l[i * n + k] * l[j * n + k];
  return out;
}

describe('choleskyWithJitter', () => {
  it('factors a positive definite matrix exactly, without jitter', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const l = choleskyWithJitter(a, 3, 1);
    const back = product(l, 3);
    a.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 12));
  });

  it('loads the diagonal just enough when rounding left an eigenvalue slightly below zero', () => {
    // Rank one (eigenvalues 2, 0) minus 1e-7 on the diagonal: eigenvalues 2 − 1e-7 and −1e-7.
    const a = Float64Array.from([1 - 1e-7, 1, 1, 1 - 1e-7]);
    const l = choleskyWithJitter(a, 2, 1);
    const back = product(l, 2);
    const added = back[0] - a[0];
    expect(added).toBeGreaterThan(1e-7);
    expect(added).toBeLessThanOrEqual(1e-5 + 1e-12);
    expect(back[1]).toBeCloseTo(1, 12);
    expect(back[3] - a[3]).toBeCloseTo(added, 12);
  });

  it('refuses a matrix that is far from positive definite, naming the pivot', () => {
    const a = Float64Array.from([1, 0, 0, -5]);
    expect(() => choleskyWithJitter(a, 2, 1)).toThrow(/not positive definite \(pivot 1/);
  });
});
