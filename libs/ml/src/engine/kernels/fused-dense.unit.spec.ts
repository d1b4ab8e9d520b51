import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { profileKernels } from '../kernel-profile';
import { availableGemms, relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { DENSE, DENSE_FAN, DENSE_FAN_GRAD, DENSE_GRAD, fillRows, linear, linearFan } from './fused-dense';

// The fused dense layer and its gradient against tfjs ops on the plain JS backend, on wasm (with
// products on our kernels and on each native GEMM installed here) and on cpu.

const reference = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D => tf.add(tf.matMul(x, w), b);

function run(f: typeof reference, n: number, nIn: number, nOut: number): () => tf.Tensor[] {
  const [xv, wv, bv, gv] = [seededValues(n * nIn, 1), seededValues(nIn * nOut, 2), seededValues(nOut, 3), seededValues(n * nOut, 4)];
  return () => {
    const [x, w, b] = [tf.tensor2d(xv, [n, nIn]), tf.tensor2d(wv, [nIn, nOut]), tf.tensor1d(bv)];
    const g = tf.tensor2d(gv, [n, nOut]);
    return [f(x, w, b), ...tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(f(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D), g)))([x, w, b])];
  };
}

describe.each(availableGemms())('linear, products on %s', (gemm) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 2, gemm, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  const cases: [string, number, number, number][] = [
    ['odd sizes', 7, 5, 3],
    ['one row, one input (rank-1 products)', 1, 1, 5],
    ['no rows', 0, 5, 3],
    ['a ViT layer (512×48·48×96)', 512, 48, 96],
    ['large enough for the native GEMM', 1024, 256, 192],
  ];
  for (const [name, n, nIn, nOut] of cases) {
    it(`${name}: output and x/w/b gradients match tfjs ops on cpu, on wasm and on cpu`, async () => {
      const expected = await valuesOn('cpu', run(reference, n, nIn, nOut));
      for (const backend of ['wasm', 'cpu']) {
        const actual = await valuesOn(backend, run(linear, n, nIn, nOut));
        const errors = expected.map((e, i) => relativeError(actual[i], e)); // output, dx, dw, db
        expect(actual).toHaveLength(4);
        expect(errors.every((e) => e < 1e-5) ? 'within 1e-5' : `${backend}: ${errors.join(', ')}`).toBe('within 1e-5');
      }
    });
  }

  it('runs as one kernel forward and one backward', async () => {
    await tf.setBackend('wasm');
    const profile = await tf.profile(() => tf.tidy(() => run(linear, 8, 4, 4)()));
    expect(profile.kernelNames).toEqual(expect.arrayContaining([DENSE, DENSE_GRAD]));
    expect(profile.kernelNames).not.toContain('BatchMatMul');
  });

  it('the kernel profile counts the products made inside it (what the native baseline replays)', async () => {
    await tf.setBackend('wasm');
    const { kernels, matMuls } = profileKernels(() => tf.tidy(() => run(linear, 16, 8, 4)()));
    // run() calls the layer twice forward (the output, and inside the gradient's loss).
    expect(kernels.find((k) => k.name === DENSE)?.flops).toBe(2 * 2 * 16 * 8 * 4);
    expect(kernels.find((k) => k.name === DENSE_GRAD)?.flops).toBe(2 * 2 * 16 * 8 * 4);
    expect(matMuls.map((m) => `${m.a}·${m.b}${m.transposeA ? ' tA' : ''}${m.transposeB ? ' tB' : ''}`).sort()).toEqual(['16,4·8,4 tB', '16,8·16,4 tA', '16,8·8,4']);
  });

  it('refuses mismatched shapes, naming them', () => {
    expect(() => linear(tf.zeros([4, 3]), tf.zeros([4, 2]), tf.zeros([2]))).toThrow(/x \[4,3\], w \[4,2\] and b \[2\]/);
    expect(() => linear(tf.zeros([4, 3]), tf.zeros([3, 2]), tf.zeros([3]))).toThrow(/must be \(N, nIn\)/);
  });
});

/** Layers of widths `outs` sharing x: every output, then the gradients of x, each w and each b. */
function runFan(fan: boolean, n: number, nIn: number, outs: number[]): () => tf.Tensor[] {
  const xv = seededValues(n * nIn, 1);
  const wv = outs.map((o, i) => seededValues(nIn * o, 10 + i));
  const bv = outs.map((o, i) => seededValues(o, 20 + i));
  const gv = outs.map((o, i) => seededValues(n * o, 30 + i));
  const layers = (x: tf.Tensor2D, ws: tf.Tensor2D[], bs: tf.Tensor1D[]) => (fan ? linearFan(x, ws, bs) : ws.map((w, i) => reference(x, w, bs[i])));
  return () => {
    const x = tf.tensor2d(xv, [n, nIn]);
    const ws = outs.map((o, i) => tf.tensor2d(wv[i], [nIn, o]));
    const bs = outs.map((_, i) => tf.tensor1d(bv[i]));
    const gs = outs.map((o, i) => tf.tensor2d(gv[i], [n, o]));
    const loss = (...p: tf.Tensor[]) => {
      const ys = layers(p[0] as tf.Tensor2D, p.slice(1, 1 + outs.length) as tf.Tensor2D[], p.slice(1 + outs.length) as tf.Tensor1D[]);
      return tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, gs[i])))) as tf.Scalar;
    };
    return [...layers(x, ws, bs), ...tf.grads(loss)([x, ...ws, ...bs])];
  };
}

describe.each(availableGemms())('linearFan, products on %s', (gemm) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 2, gemm, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  const cases: [string, number, number, number[]][] = [
    ['q, k, v of odd widths', 7, 5, [3, 4, 2]],
    ['k, v of a cross-attention (two layers)', 9, 6, [6, 6]],
    ['one row', 1, 3, [2, 5, 1]],
    ['no rows', 0, 4, [3, 3]],
    ['a ViT block (512×48 into three 48-wide layers)', 512, 48, [48, 48, 48]],
    ['two layers of different widths through the native GEMM', 300, 64, [96, 80]],
  ];
  for (const [name, n, nIn, outs] of cases) {
    it(`${name}: outputs and every gradient match separate layers as tfjs ops on cpu, on wasm and on cpu`, async () => {
      const expected = await valuesOn('cpu', runFan(false, n, nIn, outs));
      for (const backend of ['wasm', 'cpu']) {
        const actual = await valuesOn(backend, runFan(true, n, nIn, outs));
        expect(actual).toHaveLength(outs.length + 1 + 2 * outs.length);
        const errors = expected.map((e, i) => relativeError(actual[i], e));
        expect(errors.every((e) => e < 1e-5) ? 'within 1e-5' : `${backend}: ${errors.join(', ')}`).toBe('within 1e-5');
      }
    });
  }

  it('runs as one kernel forward and one backward, with no Add for dx', async () => {
    await tf.setBackend('wasm');
    const profile = await tf.profile(() => tf.tidy(() => runFan(true, 8, 4, [4, 4, 4])()));
    expect(profile.kernelNames).toEqual(expect.arrayContaining([DENSE_FAN, DENSE_FAN_GRAD]));
    expect(profile.kernelNames).not.toContain(DENSE);
    expect(profile.kernels.filter((k) => k.name === 'BatchMatMul')).toHaveLength(0);
  });

  it('the kernel profile counts its products per layer (what the native baseline replays)', async () => {
    await tf.setBackend('wasm');
    const { kernels, matMuls } = profileKernels(() => tf.tidy(() => runFan(true, 16, 8, [4, 2])()));
    // runFan calls the layers twice forward (the outputs, and inside the gradient's loss).
    expect(kernels.find((k) => k.name === DENSE_FAN)?.flops).toBe(2 * 2 * 16 * 8 * (4 + 2));
    expect(kernels.find((k) => k.name === DENSE_FAN_GRAD)?.flops).toBe(2 * 2 * 16 * 8 * (4 + 2));
    expect(matMuls.map((m) => `${m.a}·${m.b}${m.transposeA ? ' tA' : ''}${m.transposeB ? ' tB' : ''}`).sort()).toEqual(['16,2·8,2 tB', '16,4·8,4 tB', '16,8·16,2 tA', '16,8·16,4 tA', '16,8·8,2', '16,8·8,4']);
  });

  it('keeps no tensors beyond its outputs and gradients', async () => {
    await tf.setBackend('wasm');
    const step = runFan(true, 16, 8, [8, 8, 8]);
    tf.dispose(tf.tidy(step));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(tf.tidy(step));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses mismatched shapes and counts, naming them', () => {
    expect(() => linearFan(tf.zeros([4, 3]), [tf.zeros([3, 2]), tf.zeros([4, 2])], [tf.zeros([2]), tf.zeros([2])])).toThrow(/w1 \[4,2\] and b1 \[2\]/);
    expect(() => linearFan(tf.zeros([4, 3]), [tf.zeros([3, 2])], [])).toThrow(/1 weights and 0 biases/);
  });
});

describe('fillRows (the bias broadcast of the native path)', () => {
  it.each([
    [0, 3],
    [1, 3],
    [2, 1],
    [5, 4],
    [1000, 7],
    [1024, 64],
  ])('%i rows of %i: every row is the source row, nothing outside is touched', (rows, cols) => {
    const [src, dst] = [3, 3 + cols + 5];
    const f32 = new Float32Array(dst + rows * cols + 5).fill(-1);
    for (let j = 0; j < cols; j++) f32[src + j] = j + 0.5;
    const before = f32.slice();
    fillRows(f32, dst, src, rows, cols);
    const expected = before.slice();
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) expected[dst + r * cols + j] = j + 0.5;
    expect(Array.from(f32)).toEqual(Array.from(expected));
  });
});
