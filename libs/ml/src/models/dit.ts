import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { gatedAdd, normAffine } from '../engine';
import { attention, createAttention, createDense, createMlp, dense, mlp, patchify, silu, timestepEmbedding, unpatchify } from './layers';

export interface DitConfig {
  imageSize: number;
  channels: number;
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Width of the text encoder's token embeddings (cross-attention keys/values). */
  contextDim: number;
  /** Width of the sinusoidal timestep features. */
  timeFeatures: number;
}

export type DitPreset = 'tiny' | 'small' | 'base';

export const DIT_PRESETS: Record<DitPreset, Omit<DitConfig, 'contextDim'>> = {
  tiny: { imageSize: 16, channels: 3, patch: 4, dim: 32, depth: 2, heads: 2, mlpRatio: 2, timeFeatures: 32 },
  small: { imageSize: 32, channels: 3, patch: 2, dim: 192, depth: 6, heads: 6, mlpRatio: 4, timeFeatures: 128 },
  // DiT-S/2 widths
  base: { imageSize: 32, channels: 3, patch: 2, dim: 384, depth: 12, heads: 6, mlpRatio: 4, timeFeatures: 256 },
};

export interface DitContext {
  /** (B, L, Dc) text tokens. */
  tokens: tf.Tensor3D;
  /** (B, L) 1 = real token. */
  mask: tf.Tensor2D;
  /** (B, Dc) pooled text. */
  pooled: tf.Tensor2D;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

export function validateDitConfig(c: DitConfig): void {
  if (c.imageSize % c.patch !== 0) throw invalid(`DiT: imageSize ${c.imageSize} is not divisible by patch ${c.patch}`);
  if (c.dim % c.heads !== 0) throw invalid(`DiT: dim ${c.dim} is not divisible by heads ${c.heads}`);
  if (c.timeFeatures % 2 !== 0) throw invalid(`DiT: timeFeatures must be even, got ${c.timeFeatures}`);
  if (c.depth < 1) throw invalid(`DiT: depth must be ≥ 1, got ${c.depth}`);
}

/** Registers every DiT parameter under "dit/". adaLN modulation and the output layer start at zero. */
export function createDitParams(s: ParamStore, c: DitConfig): void {
  validateDitConfig(c);
  const patchDim = c.patch * c.patch * c.channels;
  const tokens = (c.imageSize / c.patch) ** 2;
  createDense(s, 'dit/patch', patchDim, c.dim);
  s.normal('dit/pos', [tokens, c.dim], 0.02);
  createDense(s, 'dit/time1', c.timeFeatures, c.dim);
  createDense(s, 'dit/time2', c.dim, c.dim);
  createDense(s, 'dit/textPool', c.contextDim, c.dim);
  for (let i = 0; i < c.depth; i++) {
    const n = `dit/block${i}`;
    createDense(s, `${n}/ada`, c.dim, 9 * c.dim, true);
    createAttention(s, `${n}/self`, c.dim);
    createAttention(s, `${n}/cross`, c.dim, c.contextDim);
    createMlp(s, `${n}/mlp`, c.dim, Math.round(c.dim * c.mlpRatio));
  }
  createDense(s, 'dit/final/ada', c.dim, 2 * c.dim, true);
  createDense(s, 'dit/final/out', c.dim, patchDim, true);
}

/** LN(x)·(1+scale) + shift per sample, one fused kernel (engine normAffine): (B·N, D), (B, D), (B, D) -> (B·N, D) */
function modulate(x: tf.Tensor2D, shift: tf.Tensor2D, scale: tf.Tensor2D, batch: number): tf.Tensor2D {
  if (shift.shape[0] !== batch) throw invalid(`DiT modulate: ${shift.shape[0]} conditioning rows for a batch of ${batch}`);
  return normAffine(x, shift, scale, { scaleOffset: 1, epsilon: 1e-5 }); // (B·N, D)
}

/** x + gate·y per sample, one fused kernel (engine gatedAdd): (B·N, D), (B·N, D), (B, D) -> (B·N, D) */
function gatedResidual(x: tf.Tensor2D, y: tf.Tensor2D, gate: tf.Tensor2D, batch: number): tf.Tensor2D {
  if (gate.shape[0] !== batch) throw invalid(`DiT gated residual: ${gate.shape[0]} gate rows for a batch of ${batch}`);
  return gatedAdd(x, y, gate); // (B·N, D)
}

/** adaLN-zero block: self-attention, cross-attention to text, MLP, each modulated by the conditioning (silu(c), shared by every block). */
function ditBlock(s: ParamStore, name: string, h: tf.Tensor2D, cAct: tf.Tensor2D, ctx: tf.Tensor2D, ctxMask: tf.Tensor2D, batch: number, heads: number): tf.Tensor2D {
  const mod = tf.split(dense(s, `${name}/ada`, cAct), 9, 1) as tf.Tensor2D[]; // 9 × (B, D)
  const [sh1, sc1, g1, sh2, sc2, g2, sh3, sc3, g3] = mod;
  const a = attention(s, `${name}/self`, { x: modulate(h, sh1, sc1, batch), batch, heads }); // (B·N, D)
  h = gatedResidual(h, a, g1, batch); // (B·N, D)
  const x = attention(s, `${name}/cross`, { x: modulate(h, sh2, sc2, batch), context: ctx, batch, heads, keyMask: ctxMask }); // (B·N, D)
  h = gatedResidual(h, x, g2, batch); // (B·N, D)
  return gatedResidual(h, mlp(s, `${name}/mlp`, modulate(h, sh3, sc3, batch)), g3, batch); // (B·N, D)
}

/**
 * ε-prediction: noisy images (B, H, W, C), timesteps (B), text context -> predicted noise (B, H, W, C).
 */
export function ditForward(s: ParamStore, c: DitConfig, x: tf.Tensor4D, t: tf.Tensor1D, ctx: DitContext): tf.Tensor4D {
  const b = x.shape[0];
  const n = (c.imageSize / c.patch) ** 2;
  const patches = tf.reshape(patchify(x, c.patch), [b * n, -1]) as tf.Tensor2D; // (B·N, p·p·C)
  const emb = dense(s, 'dit/patch', patches); // (B·N, D)
  let h = tf.reshape(tf.add(tf.reshape(emb, [b, n, c.dim]), s.get('dit/pos')), [b * n, c.dim]) as tf.Tensor2D; // (B·N, D)
  const temb = dense(s, 'dit/time2', silu(dense(s, 'dit/time1', timestepEmbedding(t, c.timeFeatures)))); // (B, D)
  const cond = tf.add(temb, dense(s, 'dit/textPool', ctx.pooled)) as tf.Tensor2D; // (B, D)
  const l = ctx.tokens.shape[1];
  const ctxFlat = tf.reshape(ctx.tokens, [b * l, c.contextDim]) as tf.Tensor2D; // (B·L, Dc)
  // Every block's modulation and the final one read silu(cond): computed (and differentiated) once.
  const condAct = silu(cond); // (B, D)
  for (let i = 0; i < c.depth; i++) h = ditBlock(s, `dit/block${i}`, h, condAct, ctxFlat, ctx.mask, b, c.heads); // (B·N, D)
  const [shift, scale] = tf.split(dense(s, 'dit/final/ada', condAct), 2, 1) as tf.Tensor2D[]; // 2 × (B, D)
  const out = dense(s, 'dit/final/out', modulate(h, shift, scale, b)); // (B·N, p·p·C)
  return unpatchify(tf.reshape(out, [b, n, -1]) as tf.Tensor3D, c.patch, c.imageSize, c.imageSize, c.channels); // (B, H, W, C)
}
