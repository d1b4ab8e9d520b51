import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { gelu, GELU_SLOPE, initBackend, linear, multiHeadAttention, multiHeadAttentionOps, shutdownBackend } from '@forge/ml';
import { BenchOptions, BenchRow, compared, median } from './harness';

// The fused layer kernels (attention, dense, GELU; forward and backward) against the same layers
// as tfjs ops (the baseline), on the production backend (wasm, native GEMM when installed), at
// the shapes of the loop's demo models. Runs alternate between the two; passes/s are medians.

interface Case {
  name: string;
  /** Input shapes, then the layer applied to them fused and as ops. */
  shapes: number[][];
  fused: (xs: tf.Tensor[]) => tf.Tensor;
  ops: (xs: tf.Tensor[]) => tf.Tensor;
}

function attentionCase(name: string, batch: number, tq: number, tk: number, dim: number, heads: number, masked: boolean): Case {
  const mask = () => (masked ? tf.concat([tf.ones([batch, tk - tk / 4]), tf.zeros([batch, tk / 4])], 1) as tf.Tensor2D : undefined);
  return {
    name: `attention ${name} (B${batch} Tq${tq} Tk${tk} D${dim} H${heads}${masked ? ', ¼ keys masked' : ''})`,
    shapes: [[batch * tq, dim], [batch * tk, dim], [batch * tk, dim]],
    fused: ([q, k, v]) => multiHeadAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, batch, heads, mask()),
    ops: ([q, k, v]) => multiHeadAttentionOps(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, batch, heads, mask()),
  };
}

const CASES: Case[] = [
  attentionCase('ViT selector', 32, 16, 16, 48, 4, false),
  attentionCase('DiT self', 16, 64, 64, 64, 4, false),
  attentionCase('DiT cross', 16, 64, 32, 64, 4, true),
  {
    name: 'dense 512×48 → 96',
    shapes: [[512, 48], [48, 96], [96]],
    fused: ([x, w, b]) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    ops: ([x, w, b]) => tf.add(tf.matMul(x, w), b),
  },
  {
    name: 'GELU 512×96',
    shapes: [[512, 96]],
    fused: ([x]) => gelu(x),
    ops: ([x]) => tf.mul(x, tf.sigmoid(tf.mul(x, GELU_SLOPE))),
  },
];

/** One forward and backward pass (gradients of every input), in ms. */
function pass(layer: (xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): number {
  const t0 = performance.now();
  tf.tidy(() => {
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(layer(xs)))(inputs);
    grads[0].dataSync();
  });
  return performance.now() - t0;
}

export async function fusedKernelRows(options: BenchOptions): Promise<BenchRow[]> {
  await initBackend({ log: () => undefined });
  const rows: BenchRow[] = [];
  const passes = options.quick ? 10 : 30;
  try {
    for (const c of CASES) {
      const inputs = c.shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1));
      for (let i = 0; i < 3; i++) {
        pass(c.fused, inputs);
        pass(c.ops, inputs);
      }
      const fused: number[] = [];
      const ops: number[] = [];
      for (let i = 0; i < passes; i++) {
        fused.push(pass(c.fused, inputs));
        ops.push(pass(c.ops, inputs));
      }
      options.log(`ml bench: ${c.name}: fused ${median(fused).toFixed(2)} ms, tfjs ops ${median(ops).toFixed(2)} ms per forward + backward`);
      rows.push(compared(`fused kernels: ${c.name} forward + backward vs tfjs ops`, 1000 / median(fused), 'passes/s', 1000 / median(ops)));
      tf.dispose(inputs);
    }
  } finally {
    await shutdownBackend();
  }
  return rows;
}
