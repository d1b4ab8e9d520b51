import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { profileKernels } from '../kernel-profile';
import { availableGemms, relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { DENSE, DENSE_GRAD, fillRows, linear } from './fused-dense';

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
