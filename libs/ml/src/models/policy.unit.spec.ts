import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { Policy, policyConfig, stageSamples, trainPolicyStage } from './policy';
import { WordPieceTokenizer } from './tokenizer';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { Trainer } from './optim';
import { rocAuc } from './calibration';
import { Rng } from './random';
import { TOY_COLOURS, ToySample, renderToyImages, toySamples } from './toy-data';

beforeAll(setupTestBackend);

/** Half the pairs keep their own caption (r̂ = 1), half get another colour's caption (r̂ = 0). */
function pairs(n: number, rng: Rng) {
  const samples = toySamples(n, rng);
  const images = renderToyImages(samples, 16, rng);
  const colours = Object.keys(TOY_COLOURS);
  const match = samples.map((_, i) => i % 2);
  const prompts = samples.map((s: ToySample, i) => {
    if (match[i]) return s.caption;
    const other = colours.filter((c) => c !== s.colour)[rng.int(colours.length - 1)];
    return `a ${other} square on the ${s.position}`;
  });
  return { images, prompts, rewards: match };
}

describe('Policy (tiny)', () => {
  it('keeps the paper widths at the paper preset', () => {
    expect(policyConfig('paper').hidden).toEqual([768, 384]);
    expect(policyConfig('paper').vit.dim + 768).toBe(1536);
  });

  it('stage 2 keeps only selector-accepted samples', () => {
    const s = [{ index: 0, reward: 1 }, { index: 1, reward: 0 }, { index: 2, reward: 0.5 }];
    expect(stageSamples(1, s)).toHaveLength(3);
    expect(stageSamples(2, s, [0.9, 0.2, 0.6], 0.5).map((x) => x.index)).toEqual([0, 2]);
    expect(() => stageSamples(2, s)).toThrow(/selector/);
  });

  it('BCE on r̂ separates matching from mismatched pairs on held-out toy data (AUC ≥ 0.85)', () => {
    const rng = new Rng(31);
    const train = pairs(128, rng); // vocabulary source only
    const test = pairs(64, rng);
    const tok = WordPieceTokenizer.train(train.prompts, 60);
    const text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 5);
    const policy = new Policy(policyConfig('tiny', { objective: 'bce' }), text, 6);
    const trainer = new Trainer(policy.trainableVariables(true), { learningRate: 3e-3 });
    const before = rocAuc(policy.score(test.images, test.prompts), test.rewards);
    const rewards: number[] = [];
    let warm = 0;
    for (let step = 0; step < 150; step++) {
      // fresh toy pairs every step: the model has to learn the rule, not memorise pairs
      const batch = pairs(32, rng);
      const r = policy.trainStep(trainer, batch);
      batch.images.dispose();
      rewards.push(r.meanReward);
      if (step === 1) warm = tf.memory().numTensors;
      if (step === 21) expect(tf.memory().numTensors).toBe(warm);
    }
    const scores = policy.score(test.images, test.prompts);
    const auc = rocAuc(scores, test.rewards);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    console.log(`policy AUC ${before.toFixed(3)} -> ${auc.toFixed(3)}; mean reward ${mean(rewards.slice(0, 10)).toFixed(3)} -> ${mean(rewards.slice(-10)).toFixed(3)}`);
    expect(auc).toBeGreaterThanOrEqual(0.85);
    tf.dispose([train.images, test.images]);
    trainer.dispose();
    policy.dispose();
    text.dispose();
  });

  it('REINFORCE with a value baseline raises the reward without pushing every score to 1', () => {
    const rng = new Rng(31);
    const train = pairs(128, rng);
    const tok = WordPieceTokenizer.train(train.prompts, 60);
    const text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 5);
    const policy = new Policy(policyConfig('tiny', { objective: 'reinforce' }), text, 6);
    const trainer = new Trainer(policy.trainableVariables(true), { learningRate: 3e-3 });
    const rewards: number[] = [];
    for (let step = 0; step < 100; step++) {
      const idx = rng.shuffle(Array.from({ length: 128 }, (_, i) => i)).slice(0, 32);
      const images = tf.gather(train.images, idx) as tf.Tensor4D;
      rewards.push(policy.trainStep(trainer, { images, prompts: idx.map((i) => train.prompts[i]), rewards: idx.map((i) => train.rewards[i]) }).meanReward);
      images.dispose();
    }
    const scores = policy.score(train.images, train.prompts);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
    const matched = mean(Array.from(scores).filter((_, i) => train.rewards[i] === 1));
    const mismatched = mean(Array.from(scores).filter((_, i) => train.rewards[i] === 0));
    console.log(`REINFORCE reward ${mean(rewards.slice(0, 10)).toFixed(3)} -> ${mean(rewards.slice(-10)).toFixed(3)}; mean score matched ${matched.toFixed(3)} vs mismatched ${mismatched.toFixed(3)}; train AUC ${rocAuc(scores, train.rewards).toFixed(3)}`);
    expect(mean(rewards.slice(-10))).toBeGreaterThan(mean(rewards.slice(0, 10)) + 0.15);
    expect(mismatched).toBeLessThan(0.5);
    expect(matched).toBeGreaterThan(mismatched + 0.3);
    train.images.dispose();
    trainer.dispose();
    policy.dispose();
    text.dispose();
  });

  it('trains stage 1 on every rated sample and stage 2 on selector-accepted ones only', () => {
    const rng = new Rng(41);
    const data = pairs(12, rng);
    const tok = WordPieceTokenizer.train(data.prompts, 60);
    const text = new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, layers: 1 }), tok, 5);
    const policy = new Policy(policyConfig('tiny'), text, 6);
    const trainer = new Trainer(policy.trainableVariables(false));
    const s1 = trainPolicyStage(policy, trainer, data, { stage: 1, steps: 2, batchSize: 4, seed: 1 });
    const scores = data.prompts.map((_, i) => (i < 5 ? 0.9 : 0.1));
    const s2 = trainPolicyStage(policy, trainer, data, { stage: 2, selectorScores: scores, threshold: 0.5, steps: 2, batchSize: 4, seed: 2 });
    expect([s1.samples, s2.samples]).toEqual([12, 5]);
    expect(Number.isFinite(s2.loss)).toBe(true);
    expect(() => trainPolicyStage(policy, trainer, data, { stage: 2, selectorScores: scores.map(() => 0), steps: 1, batchSize: 4, seed: 3 })).toThrow(/no samples/);
    data.images.dispose();
    trainer.dispose();
    policy.dispose();
    text.dispose();
  });
});
