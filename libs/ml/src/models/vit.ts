import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { createDense, createEncoderBlock, createLayerNorm, dense, encoderBlock, layerNorm, maskedMeanPool, patchify } from './layers';

export interface VitConfig {
  imageSize: number;
  channels: number;
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
}

export type VitPreset = 'tiny' | 'small' | 'paper';

export const VIT_PRESETS: Record<VitPreset, VitConfig> = {
  tiny: { imageSize: 16, channels: 3, patch: 4, dim: 32, depth: 2, heads: 2, mlpRatio: 2 },
  small: { imageSize: 32, channels: 3, patch: 4, dim: 192, depth: 4, heads: 4, mlpRatio: 4 },
  // the Selector in the paper: patch 16, 768-d, 12 heads, 6 layers
  paper: { imageSize: 224, channels: 3, patch: 16, dim: 768, depth: 6, heads: 12, mlpRatio: 4 },
};

export function validateVitConfig(c: VitConfig): void {
  const bad = (m: string) => Object.assign(new Error(`ViT: ${m}`), { code: 'INVALID_INPUT' });
  if (c.imageSize % c.patch !== 0) throw bad(`imageSize ${c.imageSize} is not divisible by patch ${c.patch}`);
  if (c.dim % c.heads !== 0) throw bad(`dim ${c.dim} is not divisible by heads ${c.heads}`);
  if (c.depth < 1) throw bad(`depth must be ≥ 1, got ${c.depth}`);
}

/** Registers a ViT encoder under `${prefix}/`. */
export function createVitParams(s: ParamStore, c: VitConfig, prefix: string): void {
  validateVitConfig(c);
  createDense(s, `${prefix}/patch`, c.patch * c.patch * c.channels, c.dim);
  s.normal(`${prefix}/pos`, [(c.imageSize / c.patch) ** 2, c.dim], 0.02);
  for (let i = 0; i < c.depth; i++) createEncoderBlock(s, `${prefix}/block${i}`, c);
  createLayerNorm(s, `${prefix}/ln`, c.dim);
}

/** Mean-pooled image embedding: (B, H, W, C) -> (B, D). Optional dropout (MC dropout at inference). */
export function vitForward(s: ParamStore, c: VitConfig, images: tf.Tensor4D, prefix: string, dropout = 0, seed?: number): tf.Tensor2D {
  const [b, h, w, ch] = images.shape;
  if (h !== c.imageSize || w !== c.imageSize || ch !== c.channels) {
    throw Object.assign(new Error(`ViT: images are ${h}×${w}×${ch}, the model expects ${c.imageSize}×${c.imageSize}×${c.channels}`), { code: 'INVALID_INPUT' });
  }
  const n = (c.imageSize / c.patch) ** 2;
  const patches = tf.reshape(patchify(images, c.patch), [b * n, -1]) as tf.Tensor2D; // (B·N, p·p·C)
  const emb = dense(s, `${prefix}/patch`, patches); // (B·N, D)
  let x = tf.reshape(tf.add(tf.reshape(emb, [b, n, c.dim]), s.get(`${prefix}/pos`)), [b * n, c.dim]) as tf.Tensor2D; // (B·N, D)
  for (let i = 0; i < c.depth; i++) {
    x = encoderBlock(s, `${prefix}/block${i}`, x, b, c.heads); // (B·N, D)
    if (dropout > 0) x = tf.dropout(x, dropout, undefined, seed === undefined ? undefined : seed + i) as tf.Tensor2D; // (B·N, D)
  }
  return maskedMeanPool(layerNorm(s, `${prefix}/ln`, x), b); // (B, D)
}
