import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { availableNativeKernels, relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { gelu, SIGMOID_LINEAR, SIGMOID_LINEAR_GRAD, silu } from './fused-gelu';

// The fused x·σ(k·x) — GELU (k = 1.702) and SiLU (k = 1); on wasm the C kernels when loaded,
// else SIMD for sizes that are a multiple of 4, JS loops otherwise — against tfjs ops on the
// plain JS backend.

const geluOps = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
const siluOps = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

function run(f: (x: tf.Tensor) => tf.Tensor, shape: number[], spread: number): () => tf.Tensor[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const xv = seededValues(size, 1).map((v) => v * spread);
  const gv = seededValues(size, 2);
  return () => {
    const x = tf.tensor(xv, shape);
    const g = tf.tensor(gv, shape);
    return [f(x), tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(f(xs), g)))(x)];
  };
}

describe.each(availableNativeKernels())('native kernels %s', (nativeKernels) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1, nativeKernels, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  describe.each([
    ['gelu', gelu, geluOps],
    ['silu', silu, siluOps],
  ] as const)('%s', (_, fused, reference) => {
    const cases: [string, number[], number][] = [
      ['SIMD, values in ±4', [64, 12], 4],
      ['SIMD, values far into both tails (±100)', [32, 8], 100],
      ['odd size (JS loops)', [5, 7], 4],
      ['a multiple of 4 but not of 16 (a vector tail in C)', [3, 20], 4],
    ];
    for (const [name, shape, spread] of cases) {
      it(`${name}: values and gradient match tfjs ops on cpu, on wasm and on cpu`, async () => {
        const expected = await valuesOn('cpu', run(reference, shape, spread));
        for (const backend of ['wasm', 'cpu']) {
          const actual = await valuesOn(backend, run(fused, shape, spread));
          const errors = expected.map((e, i) => relativeError(actual[i], e));
          expect(errors.every((e) => e < 1e-5) ? 'within 1e-5' : `${backend}: ${errors.join(', ')}`).toBe('within 1e-5');
        }
      });
    }

    it('gives no subnormal results in the far negative tail', async () => {
      const [y, dy] = await valuesOn('wasm', () => {
        const x = tf.fill([16], -100);
        return [fused(x), tf.grad((xs: tf.Tensor) => tf.sum(fused(xs)))(x)];
      });
      for (const v of [...y, ...dy]) expect(v === 0 || Math.abs(v) >= 1.1754944e-38).toBe(true);
      expect(Math.abs(y[0])).toBeLessThan(1e-30);
    });

    it('runs as one kernel forward and one backward', async () => {
      await tf.setBackend('wasm');
      const profile = await tf.profile(() => tf.tidy(() => run(fused, [8, 4], 1)()));
      expect(profile.kernelNames).toEqual(expect.arrayContaining([SIGMOID_LINEAR, SIGMOID_LINEAR_GRAD]));
      expect(profile.kernelNames).not.toContain('Sigmoid');
    });
  });
});
