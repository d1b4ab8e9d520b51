import * as tf from '@tensorflow/tfjs-core';
import { DitConfig, validateDitConfig } from '../models/dit';
import { ParamStore } from '../models/params';
import { GELU_SLOPE } from '../engine';
import { GraphBuilder } from './graph-builder';
import { encodeModel, OnnxGraph, ONNX_FLOAT } from './protobuf-writer';

// ditForward (models/dit.ts) as an ONNX graph with the store's weights as initializers. Tokens
// stay 3-D, (B, N, D), so per-sample vectors broadcast as (B, 1, D) and no op needs the batch
// size: the graph takes any B and any text length L. Op choices follow what ORT fuses at
// optimisation level 'all': MatMul+Add, LayerNormalization (opset 17), x·σ(αx) (QuickGelu).

/** Graph input and output names. */
export const DIT_ONNX_INPUTS = ['x', 't', 'tokens', 'mask', 'pooled'] as const;
export const DIT_ONNX_OUTPUT = 'out';

interface Ctx {
  g: GraphBuilder;
  s: ParamStore;
  c: DitConfig;
}

function weight(k: Ctx, name: string): string {
  const v = k.s.get(name);
  return k.g.weight(name, v.dataSync() as Float32Array, v.shape);
}

/** (B, T, nIn) x (nIn, nOut) + (nOut) -> (B, T, nOut); also (B, nIn) -> (B, nOut) */
function dense(k: Ctx, name: string, x: string): string {
  return k.g.op('Add', [k.g.op('MatMul', [x, weight(k, `${name}/w`)]), weight(k, `${name}/b`)]);
}

/** x·σ(αx): SiLU for α = 1, the sigmoid GELU of layers.ts for α = 1.702. */
function sigmoidGate(k: Ctx, x: string, alpha: number): string {
  const arg = alpha === 1 ? x : k.g.op('Mul', [x, k.g.scalar(alpha)]);
  return k.g.op('Mul', [x, k.g.op('Sigmoid', [arg])]);
}

/** (B, T, D) -> (B, H, T, hd), or (B, H, hd, T) with `keysTransposed` for q·kᵀ. */
function splitHeads(k: Ctx, x: string, keysTransposed = false): string {
  const hd = k.c.dim / k.c.heads;
  const split = k.g.op('Reshape', [x, k.g.ints([0, 0, k.c.heads, hd])]); // (B, T, H, hd)
  return k.g.op('Transpose', [split], [{ name: 'perm', ints: keysTransposed ? [0, 2, 3, 1] : [0, 2, 1, 3] }]);
}

/** Multi-head attention with separate q/k/v/o and an optional additive key bias (B, 1, 1, Tk): (B, Tq, D) -> (B, Tq, D) */
function attention(k: Ctx, name: string, x: string, context: string, keyBias?: string): string {
  const { g } = k;
  const hd = k.c.dim / k.c.heads;
  const q = splitHeads(k, dense(k, `${name}/q`, x)); // (B, H, Tq, hd)
  const kT = splitHeads(k, dense(k, `${name}/k`, context), true); // (B, H, hd, Tk)
  const v = splitHeads(k, dense(k, `${name}/v`, context)); // (B, H, Tk, hd)
  let scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(hd))]); // (B, H, Tq, hd) x (B, H, hd, Tk) -> (B, H, Tq, Tk)
  if (keyBias) scores = g.op('Add', [scores, keyBias]); // (B, H, Tq, Tk)
  const probs = g.op('Softmax', [scores], [{ name: 'axis', int: -1 }]); // (B, H, Tq, Tk)
  const out = g.op('MatMul', [probs, v]); // (B, H, Tq, Tk) x (B, H, Tk, hd) -> (B, H, Tq, hd)
  const merged = g.op('Reshape', [g.op('Transpose', [out], [{ name: 'perm', ints: [0, 2, 1, 3] }]), g.ints([0, 0, k.c.dim])]); // (B, Tq, D)
  return dense(k, `${name}/o`, merged); // (B, Tq, D)
}

/** LN(x)·(1+scale) + shift, LN without affine, ε = 1e-5: (B, N, D), 2 × (B, 1, D) -> (B, N, D) */
function modulate(k: Ctx, x: string, shift: string, scale: string): string {
  const { g } = k;
  const ln = g.op('LayerNormalization', [x, g.filled(1, k.c.dim)], [{ name: 'axis', int: -1 }, { name: 'epsilon', float: 1e-5 }]); // (B, N, D)
  return g.op('Add', [g.op('Mul', [ln, g.op('Add', [scale, g.scalar(1)])]), shift]); // (B, N, D)
}

/** x + y·gate: (B, N, D), (B, N, D), (B, 1, D) -> (B, N, D) */
function gatedResidual(k: Ctx, x: string, y: string, gate: string): string {
  return k.g.op('Add', [x, k.g.op('Mul', [y, gate])]);
}

/** A linear layer on silu(c) split into `parts` per-sample vectors: (B, D) -> parts × (B, 1, D) */
function modulation(k: Ctx, name: string, siluCond: string, parts: number): string[] {
  const mod = k.g.op('Reshape', [dense(k, name, siluCond), k.g.ints([0, parts, k.c.dim])]); // (B, parts, D)
  return k.g.opN('Split', [mod], parts, [{ name: 'axis', int: 1 }]); // parts × (B, 1, D)
}

/** adaLN-zero block: self-attention, cross-attention to text, MLP, each modulated by c. */
function ditBlock(k: Ctx, name: string, h: string, siluCond: string, tokens: string, keyBias: string): string {
  const [sh1, sc1, g1, sh2, sc2, g2, sh3, sc3, g3] = modulation(k, `${name}/ada`, siluCond, 9);
  let x = modulate(k, h, sh1, sc1);
  h = gatedResidual(k, h, attention(k, `${name}/self`, x, x), g1); // (B, N, D)
  h = gatedResidual(k, h, attention(k, `${name}/cross`, modulate(k, h, sh2, sc2), tokens, keyBias), g2); // (B, N, D)
  x = modulate(k, h, sh3, sc3);
  const mlp = dense(k, `${name}/mlp/fc2`, sigmoidGate(k, dense(k, `${name}/mlp/fc1`, x), GELU_SLOPE)); // (B, N, hidden) -> (B, N, D)
  return gatedResidual(k, h, mlp, g3); // (B, N, D)
}

/** The same frequencies as layers.ts timestepEmbedding, computed by tfjs so both graphs hold identical float32 values. */
function timeFrequencies(half: number, maxPeriod = 10000): Float32Array {
  return tf.tidy(() => tf.exp(tf.mul(tf.range(0, half, 1, 'float32'), -Math.log(maxPeriod) / half)).dataSync() as Float32Array);
}

/** The ONNX graph of ditForward for the weights in `store`. */
export function buildDitGraph(store: ParamStore, c: DitConfig): OnnxGraph {
  validateDitConfig(c);
  const g = new GraphBuilder('dit');
  const k: Ctx = { g, s: store, c };
  const { imageSize: size, channels, patch } = c;
  const side = size / patch;
  const n = side * side;
  // patchify: (B, H, W, C) -> (B·Hp, p, Wp, p·C) -> (B·Hp, Wp, p, p·C) -> (B, N, p·p·C)
  const rows = g.op('Reshape', ['x', g.ints([-1, patch, side, patch * channels])]);
  const patches = g.op('Reshape', [g.op('Transpose', [rows], [{ name: 'perm', ints: [0, 2, 1, 3] }]), g.ints([-1, n, patch * patch * channels])]);
  let h = g.op('Add', [dense(k, 'dit/patch', patches), weight(k, 'dit/pos')]); // (B, N, D)

  const half = c.timeFeatures / 2;
  const args = g.op('Mul', [g.op('Unsqueeze', ['t', g.ints([1])]), g.weight('dit/timeFreqs', timeFrequencies(half), [1, half])]); // (B, 1) x (1, half) -> (B, half)
  const tFeatures = g.op('Concat', [g.op('Cos', [args]), g.op('Sin', [args])], [{ name: 'axis', int: 1 }]); // (B, Tf)
  const temb = dense(k, 'dit/time2', sigmoidGate(k, dense(k, 'dit/time1', tFeatures), 1)); // (B, D)
  const cond = g.op('Add', [temb, dense(k, 'dit/textPool', 'pooled')]); // (B, D)
  const siluCond = sigmoidGate(k, cond, 1); // (B, D), shared by every block's modulation

  // padding keys get −1e9 before the softmax: (B, L) -> (B, 1, 1, L)
  const keyBias = g.op('Reshape', [g.op('Mul', [g.op('Sub', [g.scalar(1), 'mask']), g.scalar(-1e9)]), g.ints([0, 1, 1, -1])]);
  for (let i = 0; i < c.depth; i++) h = ditBlock(k, `dit/block${i}`, h, siluCond, 'tokens', keyBias); // (B, N, D)

  const [shift, scale] = modulation(k, 'dit/final/ada', siluCond, 2);
  const out = dense(k, 'dit/final/out', modulate(k, h, shift, scale)); // (B, N, p·p·C)
  // unpatchify: (B, N, p·p·C) -> (B·Hp, Wp, p, p·C) -> (B·Hp, p, Wp, p·C) -> (B, H, W, C)
  const tiles = g.op('Reshape', [out, g.ints([-1, side, patch, patch * channels])]);
  const images = g.op('Reshape', [g.op('Transpose', [tiles], [{ name: 'perm', ints: [0, 2, 1, 3] }]), g.ints([-1, size, size, channels])]);

  const f = ONNX_FLOAT;
  return g.build(
    [
      { name: 'x', elemType: f, dims: ['B', size, size, channels] },
      { name: 't', elemType: f, dims: ['B'] },
      { name: 'tokens', elemType: f, dims: ['B', 'L', c.contextDim] },
      { name: 'mask', elemType: f, dims: ['B', 'L'] },
      { name: 'pooled', elemType: f, dims: ['B', c.contextDim] },
    ],
    [{ name: DIT_ONNX_OUTPUT, elemType: f, dims: ['B', size, size, channels], from: images }],
  );
}

/** A serialised ONNX model (opset 17) of ditForward with these weights. */
export function ditOnnxModel(store: ParamStore, c: DitConfig): Uint8Array {
  return encodeModel(buildDitGraph(store, c), 'fundus-forge');
}
