import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { availableNativeKernels, fixedTensors, relativeError, valuesOn } from '../testing';
import { activeNativeKernels } from './native-kernels';
import { contiguousReduction } from './reduce';

// Sum and Mean on wasm — in C when the native kernels are loaded, else an XNNPACK average pool
// over a view (or the stock kernel) — against the plain JS backend.

describe('contiguousReduction', () => {
  it('splits a shape around one block of reduced axes', () => {
    expect(contiguousReduction([4, 9, 7, 3], [1, 2])).toEqual({ outer: 4, reduced: 63, inner: 3 });
    expect(contiguousReduction([4, 9, 7], [2])).toEqual({ outer: 36, reduced: 7, inner: 1 });
    expect(contiguousReduction([4, 9, 7], [0, 2])).toBeUndefined();
  });
});

describe.each(availableNativeKernels())('native kernels %s', (nativeKernels) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 2, nativeKernels, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  const cases: [number[], number | number[], boolean][] = [
    [[37, 23], 0, false],
    [[37, 23], 1, false],
    [[1024, 192], -1, true], // a layer norm's moments
    [[4, 9, 7], [0, 1], false],
    [[4, 9, 7], 1, true],
    [[4, 9, 7, 3], [1, 2], false],
    [[4, 9, 7], [0, 1, 2], false],
    [[4, 9, 7], [0, 2], false], // not one block: the stock kernel
    [[3, 20000], 0, false],
    [[3, 16411], 0, true],
  ];
  it.each(cases)('%j over %j (keepDims %s) matches the cpu backend', async (shape, axis, keepDims) => {
    const make = fixedTensors([shape], 5);
    const run = () => {
      const [x] = make();
      return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
    };
    const expected = await valuesOn('cpu', run);
    const native = activeNativeKernels();
    const spy = native ? jest.spyOn(native, 'reduce') : undefined;
    try {
      const actual = await valuesOn('wasm', run);
      expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-5));
      const oneBlock = !(Array.isArray(axis) && axis.join() === '0,2');
      expect((spy?.mock.calls.length ?? 0) > 0).toBe(nativeKernels === 'auto' && oneBlock);
    } finally {
      spy?.mockRestore();
    }
  });

  it('keeps the output shapes of the stock kernel', () => {
    tf.tidy(() => {
      const x = tf.ones([4, 9, 7]);
      expect(tf.sum(x, [0, 1], true).shape).toEqual([1, 1, 7]);
      expect(tf.mean(x, 1).shape).toEqual([4, 7]);
      expect(tf.sum(x).shape).toEqual([]);
    });
  });

  it('gives an empty result for an empty outer part', async () => {
    const [empty] = await valuesOn('wasm', () => tf.sum(tf.zeros([0, 5]), 1));
    expect(empty.length).toBe(0);
  });

  // The stock kernel leaves such an output as it finds the memory (−0 was seen): asked of C only.
  if (nativeKernels === 'auto') {
    it('sums an empty block to 0 (its mean is NaN, 0/0)', async () => {
      const [sum, mean] = await valuesOn('wasm', () => [tf.sum(tf.zeros([4, 0, 3]), 1), tf.mean(tf.zeros([2, 0]), 1)]);
      expect(Array.from(sum)).toEqual(new Array(12).fill(0));
      expect(Array.from(mean).map(Number.isNaN)).toEqual([true, true]);
    });
  }

  it('leaves int32 to the stock kernel', async () => {
    const [sum] = await valuesOn('wasm', () => tf.cast(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 1), 'float32'));
    expect(Array.from(sum)).toEqual([6, 15]);
  });
});
