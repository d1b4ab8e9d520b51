import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { availableNativeKernels, relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { normAffine } from './fused-norm';

// The fused normalisation kernel and its gradient against the same formula in tfjs ops on the
// plain JS backend, for LayerNorm (one group, offset 0) and adaLN modulation (a group per sample),
// with the C kernels on and off.

const reference = (x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor, offset: number): tf.Tensor => {
  const dim = x.shape[x.shape.length - 1];
  const groups = shift.size / dim;
  const x3 = tf.reshape(x, [groups, -1, dim]);
  const mean = tf.mean(x3, -1, true);
  const variance = tf.mean(tf.square(tf.sub(x3, mean)), -1, true);
  const xhat = tf.div(tf.sub(x3, mean), tf.sqrt(tf.add(variance, 1e-5)));
  return tf.reshape(tf.add(tf.mul(xhat, tf.reshape(tf.add(scale, offset), [groups, 1, dim])), tf.reshape(shift, [groups, 1, dim])), x.shape);
};

describe.each(availableNativeKernels())('normAffine, native kernels %s', (nativeKernels) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1, nativeKernels, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  const cases: [string, number[], number[], number][] = [
    ['LayerNorm, odd width', [7, 13], [13], 0],
    ['LayerNorm over a 3-D input', [2, 3, 6], [6], 0],
    ['adaLN modulation, a group per sample', [4 * 5, 9], [4, 9], 1],
    // Widths that are a multiple of 4 run the SIMD kernels on wasm.
    ['LayerNorm, width 12 (SIMD)', [5, 12], [12], 0],
    ['adaLN modulation, width 16 (SIMD)', [3 * 7, 16], [3, 16], 1],
    ['adaLN modulation, width 64 as in the demo DiT', [2 * 9, 64], [2, 64], 1],
  ];
  for (const [name, xShape, pShape, offset] of cases) {
    it(`${name}: values and gradients match tfjs ops on cpu`, async () => {
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const xv = seededValues(size(xShape), 1).map((v, i) => v * 3 + (i % 5));
      const sh = seededValues(size(pShape), 2);
      const sc = seededValues(size(pShape), 3);
      const w = seededValues(size(xShape), 4);
      const run = (f: (x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) => tf.Tensor) => () => {
        const inputs = [tf.tensor(xv, xShape), tf.tensor(sh, pShape), tf.tensor(sc, pShape)];
        const weights = tf.tensor(w, xShape);
        const loss = (x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) => tf.sum(tf.mul(f(x, shift, scale), weights));
        return [f(inputs[0], inputs[1], inputs[2]), ...tf.grads(loss)(inputs)];
      };
      const expected = await valuesOn('cpu', run((x, s, c) => reference(x, s, c, offset)));
      const actual = await valuesOn('wasm', run((x, s, c) => normAffine(x, s, c, { scaleOffset: offset, epsilon: 1e-5 })));
      expect(actual).toHaveLength(4);
      expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-5));
    });
  }

  it('refuses groups that do not divide the rows, and mismatched widths', () => {
    expect(() => normAffine(tf.zeros([5, 4]), tf.zeros([2, 4]), tf.zeros([2, 4]), { scaleOffset: 1, epsilon: 1e-5 })).toThrow(/G dividing the 5 rows/);
    expect(() => normAffine(tf.zeros([4, 4]), tf.zeros([4]), tf.zeros([3]), { scaleOffset: 0, epsilon: 1e-5 })).toThrow(/must both be/);
  });
});
