import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from './backend';
import { profileKernels } from './kernel-profile';
import { relativeError, seededValues, valuesOn } from './testing';
import '../models/register-gradients';

// Saved tensors for gradients are extra references on wasm (no Identity kernel call each), with
// the same gradients and no leaked tensors or buffers.

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1, log: () => undefined });
});

afterAll(async () => {
  await shutdownBackend();
});

const x = seededValues(6 * 5, 1);
const w = seededValues(5 * 4, 2);
const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.sigmoid(tf.matMul(tf.mul(a, a), b))));
const gradients = () => tf.grads(loss)([tf.tensor2d(x, [6, 5]), tf.tensor2d(w, [5, 4])]);

describe('tensors saved for gradients', () => {
  it('are shared buffers on wasm: no Identity kernel while recording', () => {
    const { result, kernels } = profileKernels(() => tf.tidy(gradients));
    expect(kernels.find((k) => k.name === 'Identity')).toBeUndefined();
    tf.dispose(result);
  });

  it('give the gradients of the cpu backend and leak nothing', async () => {
    const expected = await valuesOn('cpu', gradients);
    tf.tidy(gradients);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    const actual = await valuesOn('wasm', gradients);
    expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-5));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});
