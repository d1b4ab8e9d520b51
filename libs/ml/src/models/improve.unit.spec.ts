import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { Generator, generatorConfig } from './generator';
import { Trainer } from './optim';
import { Rng } from './random';
import { ParamStore } from './params';
import { ddpoEpoch, perPromptAdvantages, rewardWeightedFinetune } from './improve';
import { renderToyImages, toySamples } from './toy-data';

beforeAll(setupTestBackend);

const brightness = (images: tf.Tensor4D) => tf.tidy(() => tf.mean(images, [1, 2, 3]).dataSync());

function tinyGenerator(seed: number) {
  const rng = new Rng(seed);
  const samples = toySamples(32, rng);
  const tok = WordPieceTokenizer.train(samples.map((s) => s.caption), 60);
  const text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, seed);
  const gen = new Generator(generatorConfig('tiny', 16, { dit: { imageSize: 8, patch: 2, depth: 1 }, emaDecay: 0.5 }), text, seed);
  return { rng, samples, text, gen };
}

describe('generator improvement', () => {
  it('standardises rewards within each prompt', () => {
    const adv = perPromptAdvantages(['a', 'a', 'b', 'b'], [1, 3, 10, 10]);
    expect(adv[0]).toBeCloseTo(-1, 4);
    expect(adv[1]).toBeCloseTo(1, 4);
    expect(adv[2]).toBe(0);
  });

  it('reward-weighted fine-tuning keeps only samples above the threshold and lowers the loss', () => {
    const { rng, samples, text, gen } = tinyGenerator(3);
    const real = { images: renderToyImages(samples, 8, rng), prompts: samples.map((s) => s.caption) };
    const synthetic = { images: renderToyImages(samples.slice(0, 16), 8, rng, 0.3), prompts: samples.slice(0, 16).map((s) => s.caption), rewards: samples.slice(0, 16).map((_, i) => i / 15) };
    const trainer = new Trainer(gen.trainableVariables(), { learningRate: 3e-3 });
    const out = rewardWeightedFinetune(gen, trainer, { synthetic, real, threshold: 0.5, realFraction: 0.5, steps: 40, batchSize: 8, seed: 1 });
    expect(out.kept).toBe(8);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    console.log(`reward-weighted fine-tune loss ${mean(out.losses.slice(0, 8)).toFixed(3)} -> ${mean(out.losses.slice(-8)).toFixed(3)}`);
    expect(mean(out.losses.slice(-8))).toBeLessThan(mean(out.losses.slice(0, 8)));
    tf.dispose([real.images, synthetic.images]);
    trainer.dispose();
    gen.dispose();
    text.dispose();
  });

  it('weighs real images by their rewards too, keeping all of them when none reaches the threshold', () => {
    const { rng, samples, text, gen } = tinyGenerator(5);
    const real = { images: renderToyImages(samples.slice(0, 12), 8, rng), prompts: samples.slice(0, 12).map((s) => s.caption) };
    const synthetic = { images: renderToyImages(samples.slice(0, 4), 8, rng, 0.3), prompts: samples.slice(0, 4).map((s) => s.caption), rewards: [0.9, 0.8, 0.1, 0.7] };
    const trainer = new Trainer(gen.trainableVariables(), { learningRate: 1e-3 });
    const options = { synthetic, threshold: 0.5, realFraction: 0.5, steps: 2, batchSize: 4, seed: 2 };
    const filtered = rewardWeightedFinetune(gen, trainer, { ...options, real: { ...real, rewards: real.prompts.map((_, i) => (i % 3 === 0 ? 0.9 : 0.2)) } });
    expect(filtered.keptReal).toBe(4);
    expect(filtered.kept).toBe(3);
    const none = rewardWeightedFinetune(gen, trainer, { ...options, real: { ...real, rewards: real.prompts.map(() => 0.1) } });
    expect(none.keptReal).toBe(12);
    expect(() => rewardWeightedFinetune(gen, trainer, { ...options, real: { ...real, rewards: [1] } })).toThrow(/rewards differ in length/);
    tf.dispose([real.images, synthetic.images]);
    trainer.dispose();
    gen.dispose();
    text.dispose();
  });

  it('DDPO raises a toy brightness reward while the KL to the reference stays bounded', () => {
    const { text, gen } = tinyGenerator(4);
    const reference = gen.store.clone(false);
    const trainer = new Trainer(gen.trainableVariables(), { learningRate: 1e-2, clipNorm: 1 });
    const prompts = ['a red square on the left', 'a blue square on the right'];
    const epochs: { meanReward: number; meanKl: number }[] = [];
    let warm = 0;
    for (let e = 0; e < 12; e++) {
      epochs.push(ddpoEpoch(gen, trainer, { prompts, samplesPerPrompt: 8, reward: brightness, reference, steps: 6, guidance: 1, clipRange: 0.2, klWeight: 0.01, seed: 100 + e }));
      if (e === 1) warm = tf.memory().numTensors;
      if (e === 11) expect(tf.memory().numTensors).toBe(warm);
    }
    // evaluation on fixed seeds, current vs reference weights
    const evalReward = (weights: ParamStore) => {
      const out = gen.sample({ prompts: Array.from({ length: 16 }, (_, i) => prompts[i % 2]), seed: 999, steps: 6, guidance: 1, eta: 1, weights });
      const r = brightness(out.images);
      out.images.dispose();
      return Array.from(r).reduce((s, x) => s + x, 0) / r.length;
    };
    const after = evalReward(gen.store);
    const base = evalReward(reference);
    console.log(`DDPO epochs: ${epochs.map((e) => `reward ${e.meanReward.toFixed(3)} KL ${e.meanKl.toExponential(2)}`).join(' | ')}; eval reward ${after.toFixed(3)} (base ${base.toFixed(3)})`);
    expect(after).toBeGreaterThan(base + 0.05);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(epochs.slice(-3).map((e) => e.meanReward))).toBeGreaterThan(mean(epochs.slice(0, 3).map((e) => e.meanReward)));
    for (const e of epochs) expect(e.meanKl).toBeLessThan(1);
    reference.dispose();
    trainer.dispose();
    gen.dispose();
    text.dispose();
  });
});
