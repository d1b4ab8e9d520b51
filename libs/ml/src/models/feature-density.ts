import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';

// A Gaussian over a model's image embeddings, kept as running (exponentially weighted) moments of
// the embeddings the model was trained on. Its Mahalanobis distance says how far an image lies from
// the training data in the model's own feature space: deep ensembles can agree confidently on inputs
// unlike anything they saw (colour-shifted images all scored ~0.05), a distance cannot.
// The moments are frozen variables in the model's ParamStore, so checkpoints carry them.

/** Weight of the statistics already held at each update: about the last 1/(1−ρ) = 5 batches count (older ones came from older weights). */
export const DENSITY_DECAY = 0.8;
/** Share of the covariance replaced by its mean variance: a few hundred samples in D dimensions give a singular estimate. */
export const DENSITY_SHRINKAGE = 0.05;

export function createFeatureDensity(s: ParamStore, prefix: string, dim: number): void {
  s.zeros(`${prefix}/mean`, [dim], false);
  s.zeros(`${prefix}/second`, [dim, dim], false);
  // Σ of the EMA weights so far (1 − ρ^t): dividing by it removes the start-at-zero bias; 0 = nothing seen.
  s.zeros(`${prefix}/weight`, [], false);
}

/** Folds a batch of embeddings (B, D) into the running moments. */
export function updateFeatureDensity(s: ParamStore, prefix: string, embedding: tf.Tensor2D, decay = DENSITY_DECAY): void {
  tf.tidy(() => {
    const b = embedding.shape[0];
    const mean = s.get(`${prefix}/mean`);
    const second = s.get(`${prefix}/second`);
    const weight = s.get(`${prefix}/weight`);
    const batchMean = tf.mean(embedding, 0); // (D)
    const batchSecond = tf.div(tf.matMul(embedding, embedding, true, false), b); // (D, D)
    mean.assign(tf.add(tf.mul(mean, decay), tf.mul(batchMean, 1 - decay)));
    second.assign(tf.add(tf.mul(second, decay), tf.mul(batchSecond, 1 - decay)));
    weight.assign(tf.add(tf.mul(weight, decay), 1 - decay));
  });
}

/** Lower-triangular L with L·Lᵀ = a (row-major n×n, symmetric positive definite), in float64. */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw Object.assign(new Error(`feature density: covariance is not positive definite (pivot ${i}: ${sum})`), { code: 'NUMERIC' });
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j];
    }
  }
  return l;
}

/**
 * Cholesky of `a`, adding to its diagonal 1e-6·scale, then ten times more, up to `scale` itself,
 * while a pivot is not positive. The moments are float32 and E[xxᵀ] − μμᵀ cancels: with features
 * far from 0 against their spread, rounding alone leaves an eigenvalue slightly below zero (a
 * pivot of −1.3e-5 was seen once the column sums were added in another order).
 */
export function choleskyWithJitter(a: Float64Array, n: number, scale: number): Float64Array {
  for (let jitter = 0; ; jitter = jitter === 0 ? 1e-6 * scale : jitter * 10) {
    const loaded = Float64Array.from(a);
    for (let i = 0; i < n; i++) loaded[i * n + i] += jitter;
    try {
      return cholesky(loaded, n);
    } catch (err) {
      if (jitter >= scale) throw err;
    }
  }
}

/**
 * Mahalanobis distance² of each embedding (B, D) to the running Gaussian, divided by D (≈ 1 for
 * samples of that Gaussian). Null while the density has seen nothing (an untrained model).
 */
export function featureDistance(s: ParamStore, prefix: string, embedding: tf.Tensor2D, shrinkage = DENSITY_SHRINKAGE): Float64Array | null {
  const weight = s.get(`${prefix}/weight`).dataSync()[0];
  if (!(weight > 0)) return null;
  const [b, d] = embedding.shape;
  const mean = Float64Array.from(s.get(`${prefix}/mean`).dataSync(), (x) => x / weight);
  const second = s.get(`${prefix}/second`).dataSync();
  const cov = new Float64Array(d * d);
  let trace = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] = second[i * d + j] / weight - mean[i] * mean[j];
  for (let i = 0; i < d; i++) trace += cov[i * d + i];
  // Shrink towards the mean variance (plus a floor for embeddings that never vary).
  const floor = Math.max(trace / d, 1e-6);
  for (let i = 0; i < d * d; i++) cov[i] *= 1 - shrinkage;
  for (let i = 0; i < d; i++) cov[i * d + i] += shrinkage * floor + 1e-6;
  const l = choleskyWithJitter(cov, d, floor);
  const z = embedding.dataSync();
  const out = new Float64Array(b);
  const y = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    // Solve L·y = z − μ; then d² = |y|².
    let d2 = 0;
    for (let i = 0; i < d; i++) {
      let sum = z[r * d + i] - mean[i];
      for (let k = 0; k < i; k++) sum -= l[i * d + k] * y[k];
      y[i] = sum / l[i * d + i];
      d2 += y[i] * y[i];
    }
    out[r] = d2 / d;
  }
  return out;
}
