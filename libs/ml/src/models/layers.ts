import * as tf from '@tensorflow/tfjs-core';
import { attentionProbabilities, gelu, linear, linearFan, multiHeadAttention, normAffine, silu } from '../engine';
import { ParamStore } from './params';

// Building blocks shared by every model. Parameters live in a ParamStore under a name prefix;
// `create*` registers them, the forward function of the same name reads them back. Dense layers
// always take 2-D input: tfjs-core's gradient of a broadcast matMul throws.

/** Registers `${name}/w` [nIn, nOut] and `${name}/b` [nOut]. `zeroInit` for adaLN-zero and output heads. */
export function createDense(store: ParamStore, name: string, nIn: number, nOut: number, zeroInit = false): void {
  if (zeroInit) store.zeros(`${name}/w`, [nIn, nOut]);
  else store.normal(`${name}/w`, [nIn, nOut], Math.sqrt(1 / nIn));
  store.zeros(`${name}/b`, [nOut]);
}

/** (N, nIn) x (nIn, nOut) + (nOut) -> (N, nOut) */
export function dense(store: ParamStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return linear(x, store.get(`${name}/w`) as tf.Tensor2D, store.get(`${name}/b`) as tf.Tensor1D); // (N, nOut)
}

export function createLayerNorm(store: ParamStore, name: string, dim: number): void {
  store.ones(`${name}/g`, [dim]);
  store.zeros(`${name}/b`, [dim]);
}

/** Normalises over the last axis without affine parameters: (..., D) -> (..., D) */
export function normalize<T extends tf.Tensor>(x: T, eps = 1e-5): T {
  const { mean, variance } = tf.moments(x, -1, true); // (..., 1)
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))) as T; // (..., D)
}

/** (..., D) -> (..., D): one fused kernel (engine normAffine) with gain g and bias b. */
export function layerNorm<T extends tf.Tensor>(store: ParamStore, name: string, x: T): T {
  return normAffine(x, store.get(`${name}/b`), store.get(`${name}/g`), { scaleOffset: 0, epsilon: 1e-5 }); // (..., D)
}

/** GELU as x·σ(1.702x) (one kernel: engine gelu). */
export { gelu };

/** SiLU, x·σ(x) (one kernel: engine silu). */
export { silu };

export function createMlp(store: ParamStore, name: string, dim: number, hidden: number): void {
  createDense(store, `${name}/fc1`, dim, hidden);
  createDense(store, `${name}/fc2`, hidden, dim);
}

/** (N, D) -> (N, hidden) -> (N, D) */
export function mlp(store: ParamStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  const h = gelu(dense(store, `${name}/fc1`, x)); // (N, hidden)
  return dense(store, `${name}/fc2`, h); // (N, D)
}

export function createAttention(store: ParamStore, name: string, dim: number, contextDim = dim): void {
  createDense(store, `${name}/q`, dim, dim);
  createDense(store, `${name}/k`, contextDim, dim);
  createDense(store, `${name}/v`, contextDim, dim);
  createDense(store, `${name}/o`, dim, dim);
}

export interface AttentionInput {
  /** Queries, flattened: (B·Tq, D). */
  x: tf.Tensor2D;
  /** Keys/values source, flattened: (B·Tk, Dc); self-attention when omitted. */
  context?: tf.Tensor2D;
  batch: number;
  heads: number;
  /** 1 for keys that may be attended to, 0 for padding: (B, Tk). */
  keyMask?: tf.Tensor2D;
}

/** Attention probabilities (B, H, Tq, Tk); every row sums to 1. */
export function attentionWeights(store: ParamStore, name: string, input: AttentionInput): tf.Tensor4D {
  const { x, batch, heads } = input;
  const context = input.context ?? x;
  return attentionProbabilities(dense(store, `${name}/q`, x), dense(store, `${name}/k`, context), batch, heads, input.keyMask); // (B, H, Tq, Tk)
}

/** Dense layers `${name}/<layer>` reading the same x, as one kernel each way: (N, nIn) -> (N, nOut) each. */
export function denseFan(store: ParamStore, name: string, layers: string[], x: tf.Tensor2D): tf.Tensor2D[] {
  const param = (layer: string, p: 'w' | 'b') => store.get(`${name}/${layer}/${p}`);
  return linearFan(x, layers.map((l) => param(l, 'w') as tf.Tensor2D), layers.map((l) => param(l, 'b') as tf.Tensor1D));
}

/** Multi-head attention with separate q/k/v projections (run together where they read the same input): (B·Tq, D) -> (B·Tq, D) */
export function attention(store: ParamStore, name: string, input: AttentionInput): tf.Tensor2D {
  const { x, batch, heads } = input;
  const [q, k, v] = input.context ? [dense(store, `${name}/q`, x), ...denseFan(store, name, ['k', 'v'], input.context)] : denseFan(store, name, ['q', 'k', 'v'], x); // (B·Tq, D), (B·Tk, D) × 2
  return dense(store, `${name}/o`, multiHeadAttention(q, k, v, batch, heads, input.keyMask)); // (B·Tq, D)
}

/**
 * Sinusoidal embedding of (possibly fractional) timesteps, [cos | sin] halves:
 * (B) -> (B, dim)
 */
export function timestepEmbedding(t: tf.Tensor1D, dim: number, maxPeriod = 10000): tf.Tensor2D {
  if (dim % 2 !== 0) throw Object.assign(new Error(`timestepEmbedding: dim must be even, got ${dim}`), { code: 'INVALID_INPUT' });
  const half = dim / 2;
  const freqs = tf.exp(tf.mul(tf.range(0, half, 1, 'float32'), -Math.log(maxPeriod) / half)); // (half)
  const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.reshape(freqs, [1, half])); // (B, half)
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D; // (B, dim)
}

/**
 * Image to patch tokens using 4-D reshapes/transposes only:
 * (B, H, W, C) -> (B, (H/p)·(W/p), p·p·C), patch vector ordered (row in patch, column in patch, channel).
 */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [b, h, w, c] = images.shape;
  if (h % patch !== 0 || w % patch !== 0) throw Object.assign(new Error(`patchify: image ${h}×${w} is not divisible by patch ${patch}`), { code: 'INVALID_INPUT' });
  const hp = h / patch;
  const wp = w / patch;
  const rows = tf.reshape(images, [b * hp, patch, wp, patch * c]); // (B·Hp, p, Wp, p·C)
  const swapped = tf.transpose(rows, [0, 2, 1, 3]); // (B·Hp, Wp, p, p·C)
  return tf.reshape(swapped, [b, hp * wp, patch * patch * c]); // (B, N, p·p·C)
}

/** Inverse of patchify: (B, N, p·p·C) -> (B, H, W, C) */
export function unpatchify(tokens: tf.Tensor3D, patch: number, height: number, width: number, channels: number): tf.Tensor4D {
  const b = tokens.shape[0];
  const hp = height / patch;
  const wp = width / patch;
  const rows = tf.reshape(tokens, [b * hp, wp, patch, patch * channels]); // (B·Hp, Wp, p, p·C)
  const swapped = tf.transpose(rows, [0, 2, 1, 3]); // (B·Hp, p, Wp, p·C)
  return tf.reshape(swapped, [b, height, width, channels]); // (B, H, W, C)
}

/** One-hot × matMul embedding lookup (gather has no gradient on wasm): (N) ids -> (N, D) */
export function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.matMul(tf.cast(tf.oneHot(tf.cast(ids, "int32"), table.shape[0]), "float32") as tf.Tensor2D, table); // (N, V) x (V, D) -> (N, D)
}

export interface TransformerBlockConfig {
  dim: number;
  heads: number;
  mlpRatio: number;
}

/** Pre-LN encoder block (text encoder, ViT). */
export function createEncoderBlock(store: ParamStore, name: string, c: TransformerBlockConfig): void {
  createLayerNorm(store, `${name}/ln1`, c.dim);
  createAttention(store, `${name}/attn`, c.dim);
  createLayerNorm(store, `${name}/ln2`, c.dim);
  createMlp(store, `${name}/mlp`, c.dim, Math.round(c.dim * c.mlpRatio));
}

/** (B·T, D) -> (B·T, D) */
export function encoderBlock(store: ParamStore, name: string, x: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor2D): tf.Tensor2D {
  const a = attention(store, `${name}/attn`, { x: layerNorm(store, `${name}/ln1`, x), batch, heads, keyMask }); // (B·T, D)
  const h = tf.add(x, a) as tf.Tensor2D; // (B·T, D)
  return tf.add(h, mlp(store, `${name}/mlp`, layerNorm(store, `${name}/ln2`, h))); // (B·T, D)
}

/** Mean over the token axis, ignoring padding: (B·T, D), (B, T) -> (B, D) */
export function maskedMeanPool(x: tf.Tensor2D, batch: number, mask?: tf.Tensor2D): tf.Tensor2D {
  const d = x.shape[1];
  const x3 = tf.reshape(x, [batch, -1, d]); // (B, T, D)
  if (!mask) return tf.mean(x3, 1); // (B, D)
  const m = tf.expandDims(mask, 2); // (B, T, 1)
  return tf.div(tf.sum(tf.mul(x3, m), 1), tf.maximum(tf.sum(m, 1), 1)); // (B, D)
}
