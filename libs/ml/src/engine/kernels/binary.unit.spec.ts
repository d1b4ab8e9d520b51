import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { availableNativeKernels, fixedTensors, relativeError, valuesOn } from '../testing';
import '../../models/register-gradients';
import { broadcastPlan } from './binary';
import { activeNativeKernels, BINARY_OPS } from './native-kernels';

// Add, Sub, Multiply, RealDiv and Sigmoid on wasm — in C when the native kernels are loaded, the
// stock kernels otherwise — against the plain JS backend, for every broadcast the C loop maps onto
// rows × columns and for those it leaves to the stock kernel.

describe('broadcastPlan', () => {
  it('lays two tensors of one shape out as one row', () => {
    expect(broadcastPlan([4, 5, 6], [4, 5, 6])).toEqual({ rows: 1, cols: 120, a: { row: 0, col: 1 }, b: { row: 0, col: 1 } });
  });

  it('repeats a scalar on either side', () => {
    expect(broadcastPlan([7, 3], [])).toEqual({ rows: 1, cols: 21, a: { row: 0, col: 1 }, b: { row: 0, col: 0 } });
    expect(broadcastPlan([1, 1], [7, 3])).toEqual({ rows: 1, cols: 21, a: { row: 0, col: 0 }, b: { row: 0, col: 1 } });
  });

  it('repeats a bias row down the rows, and a value per row along them', () => {
    expect(broadcastPlan([8, 3, 5], [5])).toEqual({ rows: 24, cols: 5, a: { row: 5, col: 1 }, b: { row: 0, col: 1 } });
    expect(broadcastPlan([8, 3, 1], [8, 3, 5])).toEqual({ rows: 24, cols: 5, a: { row: 1, col: 0 }, b: { row: 5, col: 1 } });
  });

  it('broadcasts both sides (an outer product) and ignores axes of size 1', () => {
    expect(broadcastPlan([6, 1], [1, 4])).toEqual({ rows: 6, cols: 4, a: { row: 1, col: 0 }, b: { row: 0, col: 1 } });
    expect(broadcastPlan([1, 6, 1, 4], [6, 1, 4])).toEqual({ rows: 1, cols: 24, a: { row: 0, col: 1 }, b: { row: 0, col: 1 } });
  });

  it('gives up on a broadcast along a middle axis (three groups of axes)', () => {
    expect(broadcastPlan([2, 3, 4], [2, 1, 4])).toBeUndefined();
    expect(broadcastPlan([5, 1, 3], [1, 4, 1])).toBeUndefined();
  });

  it('maps scalars and single elements onto one cell', () => {
    expect(broadcastPlan([], [])).toEqual({ rows: 1, cols: 1, a: { row: 0, col: 1 }, b: { row: 0, col: 1 } });
    expect(broadcastPlan([1], [1, 1])).toEqual({ rows: 1, cols: 1, a: { row: 0, col: 1 }, b: { row: 0, col: 1 } });
  });
});

const OPS = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  // Divisors kept away from 0: |b| + 0.5.
  ['div', (a: tf.Tensor, b: tf.Tensor) => tf.div(a, tf.add(tf.abs(b), 0.5))],
] as const;

/** Shapes that broadcast in every way the C loop covers, and one it leaves to the stock kernel. */
const PAIRS: [string, number[], number[], boolean][] = [
  ['same shape, odd size', [37, 5], [37, 5], true],
  ['scalar on the right', [37, 5], [], true],
  ['scalar on the left', [], [3, 17], true],
  ['bias row', [9, 4, 6], [6], true],
  ['value per row', [16, 4, 7, 1], [16, 4, 7, 13], true],
  ['outer broadcast of both sides', [11, 1], [1, 19], true],
  ['middle axis (stock kernel)', [3, 1, 5], [3, 4, 5], false],
];

describe.each(availableNativeKernels())('native kernels %s', (nativeKernels) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1, nativeKernels, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  /** Runs `fn` on wasm and counts the C kernel's calls (0 when the kernels are off); for `binary`, those of operation `op` only. */
  async function onWasm(fn: () => tf.Tensor[], kernel: 'binary' | 'sigmoid', op?: number): Promise<{ values: Float32Array[]; nativeCalls: number }> {
    const native = activeNativeKernels();
    if (!native) return { values: await valuesOn('wasm', fn), nativeCalls: 0 };
    const spy = jest.spyOn(native, kernel);
    try {
      const values = await valuesOn('wasm', fn);
      return { values, nativeCalls: spy.mock.calls.filter((args) => op === undefined || args[1] === op).length };
    } finally {
      spy.mockRestore();
    }
  }

  describe.each(OPS)('%s', (name, op) => {
    it.each(PAIRS)('%s: values and gradients match the cpu backend', async (_, aShape, bShape, inC) => {
      const make = fixedTensors([aShape, bShape], 3);
      const run = () => {
        const [a, b] = make();
        return [op(a, b), ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(op(x, y))))([a, b])];
      };
      const expected = await valuesOn('cpu', run);
      const { values, nativeCalls } = await onWasm(() => {
        const [a, b] = make();
        return [op(a, b)];
      }, 'binary', BINARY_OPS.indexOf(name));
      const withGradients = await valuesOn('wasm', run);
      expect(relativeError(values[0], expected[0])).toBeLessThan(1e-6);
      expected.forEach((e, i) => expect(relativeError(withGradients[i], e)).toBeLessThan(1e-5));
      expect(nativeCalls > 0).toBe(nativeKernels === 'auto' && inC);
    });

    it('leaves int32 to the stock kernel', async () => {
      const [sum] = await valuesOn('wasm', () => tf.cast(op(tf.tensor2d([4, -8, 12, 6], [2, 2], 'int32'), tf.tensor1d([2, 4], 'int32')), 'float32'));
      const [expected] = await valuesOn('cpu', () => tf.cast(op(tf.tensor2d([4, -8, 12, 6], [2, 2], 'int32'), tf.tensor1d([2, 4], 'int32')), 'float32'));
      expect(Array.from(sum)).toEqual(Array.from(expected));
    });

    it('gives an empty result for an empty operand', async () => {
      const [out] = await valuesOn('wasm', () => op(tf.zeros([0, 5]), tf.ones([5])));
      expect(out.length).toBe(0);
    });
  });

  describe('sigmoid', () => {
    const cases: [string, number[], number][] = [
      ['values in ±6, vectors of 16 and a tail', [7, 5], 6],
      ['far into both tails (±120)', [64], 120],
    ];
    it.each(cases)('%s: values and gradient match the cpu backend', async (_, shape, spread) => {
      const make = fixedTensors([shape], 11);
      const run = () => {
        const x = tf.mul(make()[0], spread);
        return [tf.sigmoid(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(v), v)))(x)];
      };
      const expected = await valuesOn('cpu', run);
      const { values, nativeCalls } = await onWasm(run, 'sigmoid');
      expected.forEach((e, i) => expect(relativeError(values[i], e)).toBeLessThan(1e-6));
      expect(nativeCalls > 0).toBe(nativeKernels === 'auto');
    });
  });
});
