import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { FundusEncoder, fundusEncoderConfig } from './fundus-encoder';
import { Rng } from './random';
import { renderToyImages, toySamples, TOY_COLOURS } from './toy-data';

beforeAll(setupTestBackend);

describe('FundusEncoder (tiny)', () => {
  const colours = Object.keys(TOY_COLOURS);

  it('learns to classify, so its features separate the classes, without leaking tensors', () => {
    const rng = new Rng(5);
    const enc = new FundusEncoder(fundusEncoderConfig('tiny', colours), 3);
    const samples = toySamples(48, rng);
    const images = renderToyImages(samples, 16, rng, 0.05);
    const labels = samples.map((s) => colours.indexOf(s.colour));
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) losses.push(enc.trainStep(images, labels, 3e-3));
    // After the optimiser has made its slots, a step must not leave tensors behind.
    const settled = tf.memory().numTensors;
    enc.trainStep(images, labels);
    expect(tf.memory().numTensors).toBe(settled);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);

    const { features, probabilities } = enc.describe(images);
    expect(features).toHaveLength(48);
    expect(features[0].length).toBe(enc.config.vit.dim);
    for (const p of probabilities) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const accuracy = probabilities.filter((p, i) => p.indexOf(Math.max(...p)) === labels[i]).length / labels.length;
    expect(accuracy).toBeGreaterThan(0.8);
    images.dispose();
    enc.dispose();
  });

  it('refuses labels outside the classes', () => {
    const enc = new FundusEncoder(fundusEncoderConfig('tiny', ['a', 'b']), 1);
    const images = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
    expect(() => enc.trainStep(images, [0, 2])).toThrow(/not a class index/);
    expect(() => new FundusEncoder(fundusEncoderConfig('tiny', ['only']), 1)).toThrow(/≥ 2 classes/);
    images.dispose();
    enc.dispose();
  });
});
