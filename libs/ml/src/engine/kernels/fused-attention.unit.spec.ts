import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { profileKernels } from '../kernel-profile';
import { availableGemms, availableNativeKernels, relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { ATTENTION, multiHeadAttention } from './fused-attention';

// The fused attention kernel and its gradient (wasm: SIMD products and softmax, JS softmax for
// rows not a multiple of 4, or the native C kernels; cpu: JS loops) against plain tfjs ops on the
// cpu backend, with the products on our SIMD GEMM and, where installed, on OpenBLAS.

/** The unfused computation, op by op. */
function reference(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, keyMask?: tf.Tensor2D): tf.Tensor2D {
  const split = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [batch, x.shape[0] / batch, heads, x.shape[1] / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
  const [qh, kh, vh] = [split(q), split(k), split(v)];
  let scores = tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(qh.shape[3]));
  if (keyMask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, keyMask), -1e9), [batch, 1, 1, -1]));
  const out = tf.matMul(tf.softmax(scores), vh);
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), q.shape) as tf.Tensor2D;
}

interface Case {
  name: string;
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  dim: number;
  masked?: boolean;
}

const CASES: Case[] = [
  { name: 'self-attention, rows of 16 (SIMD softmax)', batch: 3, heads: 4, tq: 16, tk: 16, dim: 48 },
  { name: 'cross-attention, odd sizes (JS softmax)', batch: 2, heads: 2, tq: 9, tk: 7, dim: 6, masked: true },
  { name: 'cross-attention with padding, rows of 8', batch: 3, heads: 3, tq: 5, tk: 8, dim: 9, masked: true },
  { name: 'one head', batch: 2, heads: 1, tq: 4, tk: 4, dim: 5 },
  { name: 'products large enough for the two-thread team', batch: 2, heads: 4, tq: 64, tk: 64, dim: 128 },
  // Heads of 16: the C kernels work in place, with row and column blocks cut short and keys padded.
  { name: 'heads of 16, odd lengths with padding', batch: 3, heads: 2, tq: 11, tk: 13, dim: 32, masked: true },
  { name: 'heads of 16, one query', batch: 2, heads: 3, tq: 1, tk: 17, dim: 48 },
  // Heads of 20: the C kernels copy each head into 32-wide rows and write results back.
  { name: 'heads of 20, padded copies', batch: 2, heads: 2, tq: 19, tk: 9, dim: 40, masked: true },
];

/** A mask with the last `b + 1` keys of sample b padded (every sample keeps at least one key). */
function maskValues(batch: number, tk: number): Float32Array {
  const m = new Float32Array(batch * tk).fill(1);
  for (let b = 0; b < batch; b++) for (let j = Math.max(1, tk - b - 1); j < tk; j++) m[b * tk + j] = 0;
  return m;
}

function run(c: Case, f: typeof reference): () => tf.Tensor[] {
  const [qv, kv, vv, wv] = [seededValues(c.batch * c.tq * c.dim, 1), seededValues(c.batch * c.tk * c.dim, 2), seededValues(c.batch * c.tk * c.dim, 3), seededValues(c.batch * c.tq * c.dim, 4)];
  return () => {
    const [q, k, v] = [tf.tensor2d(qv, [c.batch * c.tq, c.dim]), tf.tensor2d(kv, [c.batch * c.tk, c.dim]), tf.tensor2d(vv, [c.batch * c.tk, c.dim])];
    const mask = c.masked ? tf.tensor2d(maskValues(c.batch, c.tk), [c.batch, c.tk]) : undefined;
    // Scores scaled up so the softmax is far from uniform and its gradient matters.
    const sharpen = (x: tf.Tensor2D) => tf.mul(x, 3) as tf.Tensor2D;
    const w = tf.tensor2d(wv, [c.batch * c.tq, c.dim]);
    const loss = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(sharpen(a as tf.Tensor2D), b as tf.Tensor2D, d as tf.Tensor2D, c.batch, c.heads, mask), w));
    return [f(sharpen(q), k, v, c.batch, c.heads, mask), ...tf.grads(loss)([q, k, v])];
  };
}

const gemms = availableGemms().filter((g) => g !== 'onnxruntime'); // ORT does not take strided products
const settings = gemms.flatMap((gemm) => availableNativeKernels().map((nativeKernels) => ({ gemm, nativeKernels })));

describe.each(settings)('multiHeadAttention, products on $gemm, native kernels $nativeKernels', ({ gemm, nativeKernels }) => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 2, gemm, nativeKernels, log: () => undefined });
    expect(info.version.includes(', C kernels (')).toBe(nativeKernels === 'auto');
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  for (const c of CASES) {
    it(`${c.name}: output and q/k/v gradients match tfjs ops on cpu, on wasm and on cpu`, async () => {
      const expected = await valuesOn('cpu', run(c, reference));
      for (const backend of ['wasm', 'cpu']) {
        const actual = await valuesOn(backend, run(c, multiHeadAttention));
        expect(actual).toHaveLength(4);
        const errors = expected.map((e, i) => relativeError(actual[i], e)); // output, dq, dk, dv
        expect(errors.every((e) => e < 2e-5) ? 'within 2e-5' : `${backend}: ${errors.join(', ')}`).toBe('within 2e-5');
      }
    });
  }

  it('masked keys get no attention: changing their values changes nothing', async () => {
    const c = CASES[2];
    const withValues = (fill: number) => () => {
      const v = tf.buffer([c.batch * c.tk, c.dim], 'float32', seededValues(c.batch * c.tk * c.dim, 3));
      const mask = maskValues(c.batch, c.tk);
      for (let r = 0; r < c.batch * c.tk; r++) if (mask[r] === 0) for (let d = 0; d < c.dim; d++) v.set(fill, r, d);
      const q = tf.tensor2d(seededValues(c.batch * c.tq * c.dim, 1), [c.batch * c.tq, c.dim]);
      const k = tf.tensor2d(seededValues(c.batch * c.tk * c.dim, 2), [c.batch * c.tk, c.dim]);
      return multiHeadAttention(q, k, v.toTensor() as tf.Tensor2D, c.batch, c.heads, tf.tensor2d(mask, [c.batch, c.tk]));
    };
    const [a] = await valuesOn('wasm', withValues(0));
    const [b] = await valuesOn('wasm', withValues(100));
    expect(relativeError(b, a)).toBe(0);
  });

  it('masked keys get exactly zero probability, so their values get exactly zero gradient (no subnormals)', async () => {
    for (const c of [CASES[1], CASES[2], CASES[5]]) {
      const [, , , dv] = await valuesOn('wasm', run(c, multiHeadAttention));
      const mask = maskValues(c.batch, c.tk);
      const masked = [...mask.keys()].filter((r) => mask[r] === 0).flatMap((r) => [...dv.subarray(r * c.dim, (r + 1) * c.dim)]);
      expect(masked.length).toBeGreaterThan(0);
      expect(masked.every((g) => g === 0)).toBe(true);
      const open = [...mask.keys()].filter((r) => mask[r] === 1).flatMap((r) => [...dv.subarray(r * c.dim, (r + 1) * c.dim)]);
      expect(open.some((g) => g !== 0)).toBe(true);
    }
  });

  it('leaves only its output behind, without and with gradients recorded', async () => {
    await tf.setBackend('wasm');
    for (const c of [CASES[0], CASES[2]]) {
      const [q, k, v] = [tf.tensor2d(seededValues(c.batch * c.tq * c.dim, 1), [c.batch * c.tq, c.dim]), tf.tensor2d(seededValues(c.batch * c.tk * c.dim, 2), [c.batch * c.tk, c.dim]), tf.tensor2d(seededValues(c.batch * c.tk * c.dim, 3), [c.batch * c.tk, c.dim])];
      const mask = c.masked ? tf.tensor2d(maskValues(c.batch, c.tk), [c.batch, c.tk]) : undefined;
      const before = tf.memory().numTensors;
      const out = multiHeadAttention(q, k, v, c.batch, c.heads, mask);
      expect(tf.memory().numTensors).toBe(before + 1);
      out.dispose();
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(multiHeadAttention(a as tf.Tensor2D, b as tf.Tensor2D, d as tf.Tensor2D, c.batch, c.heads, mask)))([q, k, v]);
      expect(tf.memory().numTensors).toBe(before + 3);
      tf.dispose([...grads, q, k, v, ...(mask ? [mask] : [])]);
    }
  });

  it('runs as one kernel on wasm, forward and backward', async () => {
    await tf.setBackend('wasm');
    const c = CASES[0];
    const profile = await tf.profile(() => tf.tidy(() => run(c, multiHeadAttention)()));
    const names = profile.kernelNames;
    expect(names).toContain(ATTENTION);
    expect(names).toContain(`${ATTENTION}Grad`);
    expect(names).not.toContain('Softmax');
    expect(names).not.toContain('BatchMatMul');
  });

  it('the kernel profile counts its per-head products (what the native baseline replays)', async () => {
    await tf.setBackend('wasm');
    const c = CASES[1]; // B 2, H 2, Tq 9, Tk 7, D 6: hd 3
    const { kernels, matMuls } = profileKernels(() => tf.tidy(() => run(c, multiHeadAttention)()));
    const perProduct = 2 * c.batch * c.heads * c.tq * c.tk * (c.dim / c.heads);
    // run() calls attention twice forward (the output, and inside the gradient's loss), once backward.
    expect(kernels.find((k) => k.name === ATTENTION)?.flops).toBe(2 * 2 * perProduct);
    expect(kernels.find((k) => k.name === `${ATTENTION}Grad`)?.flops).toBe(4 * perProduct);
    // q·kᵀ twice forward, dy·vᵀ once backward: same shapes
    expect(matMuls.find((m) => m.transposeB && m.a.join() === '4,9,3' && m.b.join() === '4,7,3')?.calls).toBe(3);
  });

  it('refuses shapes that do not fit the batch and heads, naming them', () => {
    expect(() => multiHeadAttention(tf.zeros([6, 8]), tf.zeros([6, 8]), tf.zeros([6, 8]), 2, 3)).toThrow(/q \[6,8\].*do not fit batch 2 and 3 heads/);
    expect(() => multiHeadAttention(tf.zeros([6, 8]), tf.zeros([4, 8]), tf.zeros([4, 8]), 2, 2, tf.ones([2, 3]))).toThrow(/keyMask \[2,3\]/);
  });
});
