import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { relativeError, seededValues, valuesOn } from '../testing';
import '../../models/register-gradients';
import { gatedAdd } from './fused-gate';

// The fused gated residual and its gradient against tfjs ops on the plain JS backend.

const reference = (x: tf.Tensor, y: tf.Tensor, gate: tf.Tensor): tf.Tensor => {
  const dim = x.shape[x.shape.length - 1];
  const groups = gate.size / dim;
  return tf.add(x, tf.reshape(tf.mul(tf.reshape(y, [groups, -1, dim]), tf.expandDims(tf.reshape(gate, [groups, dim]), 1)), x.shape));
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1, log: () => undefined });
});

afterAll(async () => {
  await shutdownBackend();
});

describe('gatedAdd', () => {
  const cases: [string, number[], number[]][] = [
    ['odd width (JS loops)', [3 * 5, 7], [3, 7]],
    ['width 16 (SIMD), a group per sample', [4 * 6, 16], [4, 16]],
    ['one group', [9, 8], [1, 8]],
  ];
  for (const [name, xShape, gShape] of cases) {
    it(`${name}: values and gradients match tfjs ops on cpu`, async () => {
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const [xv, yv, gv, wv] = [seededValues(size(xShape), 1), seededValues(size(xShape), 2), seededValues(size(gShape), 3), seededValues(size(xShape), 4)];
      const run = (f: (x: tf.Tensor, y: tf.Tensor, g: tf.Tensor) => tf.Tensor) => () => {
        const inputs = [tf.tensor(xv, xShape), tf.tensor(yv, xShape), tf.tensor(gv, gShape)];
        const w = tf.tensor(wv, xShape);
        return [f(inputs[0], inputs[1], inputs[2]), ...tf.grads((x: tf.Tensor, y: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(f(x, y, g), w)))(inputs)];
      };
      const expected = await valuesOn('cpu', run(reference));
      const actual = await valuesOn('wasm', run(gatedAdd));
      expect(actual).toHaveLength(4);
      expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-5));
    });
  }

  it('refuses a gate that does not fit the rows', () => {
    expect(() => gatedAdd(tf.zeros([5, 4]), tf.zeros([5, 4]), tf.zeros([2, 4]))).toThrow(/G dividing the 5 rows/);
    expect(() => gatedAdd(tf.zeros([4, 4]), tf.zeros([4, 3]), tf.zeros([1, 4]))).toThrow(/must match/);
  });
});
