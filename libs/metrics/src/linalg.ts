/** A dense row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Rows of feature vectors → an n×d matrix (all rows must have the same length). */
export function toMatrix(rows: ArrayLike<ArrayLike<number>>, what = 'features'): Matrix {
  const n = rows.length;
  if (n === 0) throw new RangeError(`${what}: no rows`);
  const d = rows[0].length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r.length !== d) throw new RangeError(`${what}: row ${i} has ${r.length} values, row 0 has ${d}`);
    for (let j = 0; j < d; j++) {
      const v = r[j];
      if (!Number.isFinite(v)) throw new RangeError(`${what}: row ${i}, column ${j} is not a finite number`);
      data[i * d + j] = v;
    }
  }
  return { rows: n, cols: d, data };
}

export function columnMeans(m: Matrix): Float64Array {
  const mu = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mu[j] += m.data[i * m.cols + j];
  for (let j = 0; j < m.cols; j++) mu[j] /= m.rows;
  return mu;
}

/** Sample covariance (n − 1 denominator, as numpy.cov), d×d. */
export function covariance(m: Matrix, mu = columnMeans(m)): Matrix {
  const { rows: n, cols: d } = m;
  if (n < 2) throw new RangeError(`covariance needs at least 2 rows, got ${n}`);
  const centred = new Float64Array(m.data.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = m.data[i * d + j] - mu[j];
  const c = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const va = centred[row + a];
      if (va === 0) continue;
      const out = a * d;
      for (let b = a; b < d; b++) c[out + b] += va * centred[row + b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = c[a * d + b] / (n - 1);
      c[a * d + b] = v;
      c[b * d + a] = v;
    }
  }
  return { rows: d, cols: d, data: c };
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v === 0) continue;
      const bRow = k * b.cols;
      const oRow = i * b.cols;
      for (let j = 0; j < b.cols; j++) out[oRow + j] += v * b.data[bRow + j];
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

export function trace(m: Matrix): number {
  let t = 0;
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) t += m.data[i * m.cols + i];
  return t;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V·diag(values)·Vᵀ,
 * eigenvectors in the columns of V (empty with `vectors: false`, which also halves the work).
 * O(d³) per sweep, typically 8–11 sweeps: ~0.5 s at d = 256, several seconds at d = 512.
 */
export function symmetricEigen(m: Matrix, options: { vectors?: boolean; maxSweeps?: number } = {}): { values: Float64Array; vectors: Matrix } {
  const { vectors: wantVectors = true, maxSweeps = 60 } = options;
  const n = m.rows;
  if (m.cols !== n) throw new RangeError(`eigen-decomposition needs a square matrix, got ${m.rows}×${m.cols}`);
  const a = Float64Array.from(m.data);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i] = (a[i * n + j] + a[j * n + i]) / 2;
  // Eigenvectors are kept as the rows of vt (Vᵀ) so each rotation updates two contiguous rows.
  const vt = new Float64Array(wantVectors ? n * n : 0);
  if (wantVectors) for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  let frob = 0;
  for (let i = 0; i < a.length; i++) frob += a[i] * a[i];

  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= 1e-30 * frob || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // Skip rotations too small to change the diagonal at double precision.
        if (sweep > 3 && Math.abs(apq) < 1e-18 * Math.min(Math.abs(app), Math.abs(aqq))) {
          a[p * n + q] = a[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Pᵀ A P touches rows and columns p and q only; A stays symmetric, so update both at once.
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = a[p * n + k];
          const akq = a[q * n + k];
          const np = c * akp - s * akq;
          const nq = s * akp + c * akq;
          a[p * n + k] = a[k * n + p] = np;
          a[q * n + k] = a[k * n + q] = nq;
        }
        a[p * n + p] = app - t * apq;
        a[q * n + q] = aqq + t * apq;
        a[p * n + q] = a[q * n + p] = 0;
        if (!wantVectors) continue;
        const rp = p * n;
        const rq = q * n;
        for (let k = 0; k < n; k++) {
          const vpk = vt[rp + k];
          const vqk = vt[rq + k];
          vt[rp + k] = c * vpk - s * vqk;
          vt[rq + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  const v = new Float64Array(wantVectors ? n * n : 0);
  if (wantVectors) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[j * n + i] = vt[i * n + j];
  return { values, vectors: { rows: n, cols: n, data: v } };
}

/** Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues → 0). */
export function sqrtPsd(m: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(m);
  const n = m.rows;
  // W = V·diag(λ^¼), so W·Wᵀ = V·diag(√λ)·Vᵀ, and both factors are read along rows.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) w[i * n + k] = vectors.data[i * n + k] * Math.sqrt(Math.sqrt(Math.max(values[k], 0)));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += w[i * n + k] * w[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return { rows: n, cols: n, data: out };
}
