import * as tf from '@tensorflow/tfjs-core';
import { initBackend, shutdownBackend } from '../backend';
import { availableNativeKernels, relativeError, seededValues, valuesOn } from '../testing';
import { clipByGlobalNorm, cosineLearningRate, Trainer } from '../../models/optim';
import { fusedAdamStep, fusedEmaUpdate, hasFusedOptimizer } from './fused-optimizer';

// The fused optimizer kernels against the same update written with tfjs ops (clipByGlobalNorm,
// tf.train.adam, decoupled decay) on the plain JS backend, with the C kernels on and off.

const SHAPES = [[7, 5], [13], [3, 4, 2]];
const CONFIG = { learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.5 };
const STEPS = 3;

const initial = SHAPES.map((s, i) => seededValues(s.reduce((a, b) => a * b, 1), 100 + i));
const gradients = Array.from({ length: STEPS }, (_, step) => SHAPES.map((s, i) => seededValues(s.reduce((a, b) => a * b, 1), 200 + 10 * step + i).map((x) => x * (step + 1))));
const keepOf = (shape: number[]) => (shape.length >= 2 ? 1 - CONFIG.learningRate * CONFIG.weightDecay : 1);

/** Values and the norm per step with tfjs ops. */
function withOps(clipNorm: number): tf.Tensor[] {
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(initial[i], s)));
  const adam = tf.train.adam(CONFIG.learningRate, CONFIG.beta1, CONFIG.beta2, CONFIG.epsilon);
  const norms: tf.Tensor[] = [];
  for (let step = 0; step < STEPS; step++) {
    const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(gradients[step][i], SHAPES[i])]));
    const clipped = clipByGlobalNorm(grads, clipNorm);
    adam.applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
    vars.forEach((v, i) => v.assign(tf.mul(v, keepOf(SHAPES[i]))));
    norms.push(clipped.norm);
  }
  const out = [...vars.map((v) => v.clone()), ...norms];
  adam.dispose();
  vars.forEach((v) => v.dispose());
  return out;
}

function fused(clipNorm: number): tf.Tensor[] {
  let params = SHAPES.map((s, i) => tf.tensor(initial[i], s));
  let m = SHAPES.map((s) => tf.zeros(s));
  let v = SHAPES.map((s) => tf.zeros(s));
  const norms: tf.Tensor[] = [];
  for (let step = 0; step < STEPS; step++) {
    const grads = SHAPES.map((s, i) => tf.tensor(gradients[step][i], s));
    const out = fusedAdamStep(params, grads, m, v, { ...CONFIG, step: step + 1, clipNorm, keep: SHAPES.map(keepOf) });
    params = out.params;
    m = out.firstMoments;
    v = out.secondMoments;
    norms.push(out.norm);
  }
  return [...params, ...norms];
}

describe.each(availableNativeKernels())('native kernels %s', (nativeKernels) => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1, nativeKernels, log: () => undefined });
  });

  afterAll(async () => {
    await shutdownBackend();
  });

  describe('fused Adam step', () => {
    it('is available on wasm', () => {
      expect(hasFusedOptimizer()).toBe(true);
    });

    for (const clipNorm of [0, 0.5]) {
      for (const backend of ['wasm', 'cpu']) {
        it(`matches clipping + tf.train.adam + decay over ${STEPS} steps on ${backend} (clipNorm ${clipNorm})`, async () => {
          const expected = await valuesOn('cpu', () => withOps(clipNorm));
          const actual = await valuesOn(backend, () => fused(clipNorm));
          expect(actual).toHaveLength(SHAPES.length + STEPS);
          expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-5));
        });
      }
    }

    it('refuses mismatched lists and shapes', () => {
      const p = [tf.zeros([2, 3])];
      const attrs = { ...CONFIG, step: 1, clipNorm: 0, keep: [1] };
      expect(() => fusedAdamStep(p, [], p, p, attrs)).toThrow(/1 values but 0 gradients/);
      expect(() => fusedAdamStep(p, [tf.zeros([3, 2])], p, p, attrs)).toThrow(/variable 0 is \[2,3\] but its gradient \[3,2\]/);
    });
  });

  describe('fused EMA update', () => {
    it('matches decay·average + (1 − decay)·source', async () => {
      const values = SHAPES.map((s, i) => [seededValues(s.reduce((a, b) => a * b, 1), 300 + i), seededValues(s.reduce((a, b) => a * b, 1), 400 + i)]);
      const make = () => values.map(([e, s], i) => [tf.tensor(e, SHAPES[i]), tf.tensor(s, SHAPES[i])]);
      const expected = await valuesOn('cpu', () => make().map(([e, s]) => tf.add(tf.mul(e, 0.9), tf.mul(s, 0.1))));
      const actual = await valuesOn('wasm', () => {
        const pairs = make();
        return fusedEmaUpdate(pairs.map((p) => p[0]), pairs.map((p) => p[1]), 0.9);
      });
      expected.forEach((e, i) => expect(relativeError(actual[i], e)).toBeLessThan(1e-6));
    });
  });

  describe('Trainer on the fused path', () => {
    it('resumes from exported state exactly as an uninterrupted run', async () => {
      const target = tf.tensor2d(seededValues(12, 7), [3, 4]);
      const run = async (interruptAfter?: number): Promise<Float32Array> => {
        const init = tf.tensor2d(seededValues(12, 8), [3, 4]);
        const w = tf.variable(init);
        init.dispose();
        let trainer = new Trainer([w], { learningRate: 0.05, weightDecay: 0.1 });
        const loss = () => tf.mean(tf.square(tf.sub(w, target))) as tf.Scalar;
        for (let s = 0; s < 4; s++) {
          if (s === interruptAfter) {
            const state = await trainer.exportState();
            trainer.dispose();
            trainer = new Trainer([w], { learningRate: 0.05, weightDecay: 0.1 });
            await trainer.importState(state);
            tf.dispose(Object.values(state));
          }
          trainer.step(loss);
        }
        trainer.dispose();
        const values = Float32Array.from(w.dataSync());
        w.dispose();
        return values;
      };
      const tensors = tf.memory().numTensors;
      const straight = await run();
      expect(await run(2)).toEqual(straight);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  });

  describe('learning-rate schedule', () => {
    it('decays along a cosine from the base rate to the floor', () => {
      expect(cosineLearningRate(1e-3, 0, 101)).toBeCloseTo(1e-3, 12);
      expect(cosineLearningRate(1e-3, 50, 101)).toBeCloseTo(0.55e-3, 12);
      expect(cosineLearningRate(1e-3, 100, 101)).toBeCloseTo(1e-4, 12);
      expect(cosineLearningRate(1e-3, 0, 1)).toBeCloseTo(1e-4, 12);
      expect(() => cosineLearningRate(1e-3, 0, 0)).toThrow(/steps > 0/);
    });

    it('a changed rate scales the next update (fused path), and a bad one is refused', () => {
      const stepSize = (rate: number | undefined): number => {
        const w = tf.variable(tf.tensor1d([1, 2, 3]));
        const trainer = new Trainer([w], { learningRate: 0.1 });
        if (rate !== undefined) trainer.setLearningRate(rate);
        trainer.step(() => tf.sum(tf.square(w)) as tf.Scalar);
        const moved = Math.abs(w.dataSync()[0] - 1);
        trainer.dispose();
        w.dispose();
        return moved;
      };
      // Adam's first step moves each weight by about the learning rate.
      expect(stepSize(undefined)).toBeCloseTo(0.1, 4);
      expect(stepSize(0.01)).toBeCloseTo(0.01, 4);
      const w = tf.variable(tf.scalar(1));
      const trainer = new Trainer([w]);
      expect(() => trainer.setLearningRate(0)).toThrow(/learningRate must be > 0, got 0/);
      trainer.dispose();
      w.dispose();
    });
  });
});
