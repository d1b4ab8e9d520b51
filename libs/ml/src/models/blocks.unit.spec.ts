import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { ParamStore } from './params';
import { attentionWeights, createAttention, createDense, dense, gelu, patchify, timestepEmbedding, unpatchify } from './layers';
import { Trainer, clipByGlobalNorm } from './optim';

beforeAll(setupTestBackend);

describe('shared blocks', () => {
  it('GELU matches the sigmoid form and stays within 0.02 of the erf form', () => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 2, 3];
    const out = tf.tidy(() => gelu(tf.tensor1d(xs)).arraySync());
    expect(out[5]).toBeCloseTo(1 / (1 + Math.exp(-1.702)), 5); // 0.84579
    expect(out[3]).toBe(0);
    const erf = (x: number) => {
      // Abramowitz–Stegun 7.1.26
      const s = Math.sign(x);
      const a = Math.abs(x);
      const t = 1 / (1 + 0.3275911 * a);
      return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
    };
    xs.forEach((x, i) => expect(Math.abs(out[i] - 0.5 * x * (1 + erf(x / Math.SQRT2)))).toBeLessThan(0.021));
  });

  it('attention rows sum to 1 and padding gets no weight', () => {
    const store = new ParamStore(1);
    createAttention(store, 'a', 8);
    const [sums, padded] = tf.tidy(() => {
      const x = tf.randomNormal([2 * 5, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
      const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
      const p = attentionWeights(store, 'a', { x, batch: 2, heads: 2, keyMask: mask });
      return [tf.sum(p, -1).arraySync() as number[][][], tf.max(tf.slice(p, [0, 0, 0, 3], [1, 2, 5, 2])).arraySync() as number];
    });
    for (const s of sums.flat(2)) expect(s).toBeCloseTo(1, 5);
    expect(padded).toBeLessThan(1e-6);
    store.dispose();
  });

  it('patchify and unpatchify are inverse and patches are contiguous squares', () => {
    tf.tidy(() => {
      const img = tf.reshape(tf.range(0, 2 * 8 * 8 * 3), [2, 8, 8, 3]) as tf.Tensor4D;
      const p = patchify(img, 4);
      expect(p.shape).toEqual([2, 4, 48]);
      // second patch of the first image = rows 0..3, columns 4..7
      const expected = tf.reshape(tf.slice(img, [0, 0, 4, 0], [1, 4, 4, 3]), [48]);
      expect(tf.reshape(tf.slice(p, [0, 1, 0], [1, 1, 48]), [48]).arraySync()).toEqual(expected.arraySync());
      expect(unpatchify(p, 4, 8, 8, 3).arraySync()).toEqual(img.arraySync());
    });
  });

  it('timestep embedding is [cos | sin] of t·10000^(-i/half)', () => {
    const e = tf.tidy(() => timestepEmbedding(tf.tensor1d([0, 3]), 4).arraySync());
    expect(e[0]).toEqual([1, 1, 0, 0]);
    expect(e[1][0]).toBeCloseTo(Math.cos(3), 5);
    expect(e[1][1]).toBeCloseTo(Math.cos(3 / 100), 5);
    expect(e[1][3]).toBeCloseTo(Math.sin(3 / 100), 5);
  });

  it('clips the global gradient norm', () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm({ a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }, 1);
      expect(norm.arraySync()).toBeCloseTo(5, 5);
      expect(grads.a.arraySync()).toEqual([expect.closeTo(0.6, 5), 0]);
    });
  });

  it('AdamW fits a dense layer without leaking tensors', () => {
    const store = new ParamStore(2);
    createDense(store, 'fc', 4, 1);
    const trainer = new Trainer(store.trainable(), { learningRate: 0.05, weightDecay: 1e-4 });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const y = tf.tidy(() => tf.add(tf.matMul(x, tf.tensor2d([[1], [-2], [0.5], [3]])), 0.3));
    const loss = () => tf.losses.meanSquaredError(y, dense(store, 'fc', x)) as tf.Scalar;
    const first = trainer.step(loss).loss;
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 200; i++) last = trainer.step(loss).loss;
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first * 0.01);
    trainer.dispose();
    store.dispose();
    tf.dispose([x, y]);
  });
});
