import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { CosineSchedule } from './schedule';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { Generator, generatorConfig, noiseFromVelocity, velocityTarget } from './generator';
import { Trainer } from './optim';
import { Rng } from './random';
import { renderToyImages, toySamples } from './toy-data';

beforeAll(setupTestBackend);

describe('cosine schedule', () => {
  const s = new CosineSchedule(1000);
  it('has the known ᾱ values', () => {
    expect(s.at(0)).toBeCloseTo(0.9999587158, 8);
    expect(s.at(249)).toBeCloseTo(0.8470121613, 8);
    expect(s.at(499)).toBeCloseTo(0.4938435904, 8);
    expect(s.at(-1)).toBe(1);
    expect(s.betas[999]).toBe(0.999);
    for (let i = 1; i < 1000; i++) expect(s.alphaBar[i]).toBeLessThan(s.alphaBar[i - 1]);
  });
  it('gives descending DDIM timesteps', () => {
    expect(s.samplingTimesteps(4)).toEqual([999, 749, 499, 249]);
    expect(() => s.samplingTimesteps(0)).toThrow(/steps/);
  });
});

describe('v-parametrisation', () => {
  it('recovers ε exactly from the true v at every noise level', () => {
    const err = tf.tidy(() => {
      const x0 = tf.randomUniform([4, 4, 4, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
      const eps = tf.randomNormal([4, 4, 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const ab = [0.9999, 0.5, 0.01, 0.0001]; // clean … nearly pure noise
      const sa = tf.tensor4d(ab.map(Math.sqrt), [4, 1, 1, 1]);
      const sn = tf.tensor4d(ab.map((a) => Math.sqrt(1 - a)), [4, 1, 1, 1]);
      const xt = tf.add(tf.mul(x0, sa), tf.mul(eps, sn)) as tf.Tensor4D;
      const v = velocityTarget(x0, eps, sa, sn);
      return tf.max(tf.abs(tf.sub(noiseFromVelocity(v, xt, sa, sn), eps))).dataSync()[0];
    });
    expect(err).toBeLessThan(1e-5);
  });

  it('checkpoints without a prediction field are ε-models; new configs are v-models', () => {
    const tok = WordPieceTokenizer.train(['a red square'], 30);
    const text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 1);
    const { prediction: _dropped, ...legacy } = generatorConfig('tiny', 16);
    const old = new Generator(legacy, text, 1);
    const fresh = new Generator(generatorConfig('tiny', 16), text, 1);
    expect(old.prediction).toBe('epsilon');
    expect(fresh.prediction).toBe('v');
    expect(() => new Generator({ ...legacy, prediction: 'x0' as never }, text)).toThrow(/prediction/);
    old.dispose();
    fresh.dispose();
    text.dispose();
  });
});

describe('DiT generator (tiny)', () => {
  const rng = new Rng(11);
  const samples = toySamples(64, rng);
  const tok = WordPieceTokenizer.train(samples.map((s) => s.caption), 60);
  let text: TextEncoder;
  let gen: Generator;
  let images: tf.Tensor4D;
  beforeAll(() => {
    text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 1);
    gen = new Generator(generatorConfig('tiny', 16, { emaDecay: 0.9 }), text, 2);
    images = renderToyImages(samples, 16, rng);
  });

  afterAll(() => {
    gen.dispose();
    text.dispose();
    images.dispose();
  });

  it('rejects inconsistent configs', () => {
    expect(() => new Generator(generatorConfig('tiny', 16, { dit: { patch: 5 } }), text)).toThrow(/divisible/);
    expect(() => new Generator(generatorConfig('tiny', 32), text)).toThrow(/contextDim/);
  });

  it('denoising loss falls, EMA follows, no tensors leak', () => {
    const trainer = new Trainer(gen.trainableVariables(), { learningRate: 2e-3 });
    const losses: number[] = [];
    let warm = 0;
    for (let step = 0; step < 60; step++) {
      const idx = Array.from({ length: 8 }, (_, i) => (step * 8 + i) % samples.length);
      losses.push(
        trainer.step(() => {
          const batch = tf.gather(images, idx) as tf.Tensor4D;
          return gen.loss(batch, idx.map((i) => samples[i].caption), rng);
        }).loss,
      );
      gen.updateEma();
      // The text feature cache grows with each new caption: not a leak.
      const held = tf.memory().numTensors - gen.textFeatures.tensorCount;
      if (step === 1) warm = held;
      if (step === 21) expect(held).toBe(warm);
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const early = mean(losses.slice(0, 10));
    const late = mean(losses.slice(-15));
    console.log(`generator loss ${early.toFixed(3)} -> ${late.toFixed(3)}`);
    // A v-model starts at E‖v‖² = ᾱ + (1−ᾱ)·E‖x₀‖² (what predicting zero scores); it must beat that clearly.
    expect(late).toBeLessThan(early * 0.85);
    trainer.dispose();
  });

  it('samples reproducibly from a seed, with guidance, without leaking', () => {
    const before = tf.memory().numTensors;
    const opts = { prompts: ['a red square on the left', 'a blue square on the right'], steps: 5, guidance: 2 };
    const a = gen.sample({ ...opts, seed: 5 });
    const b = gen.sample({ ...opts, seed: 5 });
    const c = gen.sample({ ...opts, seed: 6 });
    expect(a.images.shape).toEqual([2, 16, 16, 3]);
    expect(Array.from(a.images.dataSync())).toEqual(Array.from(b.images.dataSync()));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.images, c.images))).dataSync()[0])).toBeGreaterThan(1e-3);
    const min = tf.tidy(() => tf.min(a.images).dataSync()[0]);
    expect(min).toBeGreaterThanOrEqual(-1);
    tf.dispose([a.images, b.images, c.images]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
