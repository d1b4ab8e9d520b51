import * as tf from '@tensorflow/tfjs-core';
import { Generator, disposeTrajectory } from './generator';
import { ParamStore } from './params';
import { Trainer } from './optim';
import { Rng } from './random';

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

export interface ImageSet {
  /** (N, H, W, C) in [−1, 1]. */
  images: tf.Tensor4D;
  prompts: readonly string[];
}

export interface RewardWeightedOptions {
  synthetic: ImageSet & { rewards: readonly number[] };
  /**
   * Real images. With rewards, they are filtered and weighted like the synthetic ones, so the generator
   * is pulled towards the real images the reward (experts' taste) prefers rather than all of them;
   * when none reaches the threshold, all are kept with weight 1.
   */
  real: ImageSet & { rewards?: readonly number[] };
  /** Samples below this reward are dropped. */
  threshold: number;
  /** Share of each batch drawn from real images. */
  realFraction: number;
  steps: number;
  batchSize: number;
  seed: number;
}

export interface FinetuneResult {
  /** Synthetic samples at or above the threshold. */
  kept: number;
  /** Real images trained on (all of them without real rewards). */
  keptReal?: number;
  losses: number[];
}

/**
 * Filtered, reward-weighted fine-tuning: the denoising loss on synthetic samples with reward ≥
 * threshold, weighted by reward / mean kept reward, mixed with real images so the generator
 * keeps the real distribution in view.
 */
export function rewardWeightedFinetune(gen: Generator, trainer: Trainer, o: RewardWeightedOptions): FinetuneResult {
  const n = o.synthetic.prompts.length;
  if (o.synthetic.rewards.length !== n || o.synthetic.images.shape[0] !== n) throw invalid('rewardWeightedFinetune: synthetic images, prompts and rewards differ in length');
  if (o.real.images.shape[0] !== o.real.prompts.length || o.real.prompts.length === 0) throw invalid('rewardWeightedFinetune: real images and prompts must be non-empty and of equal length');
  if (!(o.realFraction >= 0 && o.realFraction <= 1)) throw invalid(`rewardWeightedFinetune: realFraction must be in [0, 1], got ${o.realFraction}`);
  if (o.real.rewards && o.real.rewards.length !== o.real.prompts.length) throw invalid('rewardWeightedFinetune: real images and their rewards differ in length');
  const kept = keptByReward(o.synthetic.rewards, o.threshold);
  const synWeight = weightsOf(o.synthetic.rewards, kept);
  const realRewards = o.real.rewards;
  const keptReal = realRewards ? keptByReward(realRewards, o.threshold) : [];
  const real = keptReal.length > 0 ? { indices: keptReal, weight: weightsOf(realRewards!, keptReal) } : { indices: o.real.prompts.map((_, i) => i), weight: () => 1 };
  const rng = new Rng(o.seed);
  const nReal = kept.length === 0 ? o.batchSize : Math.round(o.batchSize * o.realFraction);
  const losses: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    const realIdx = Array.from({ length: nReal }, () => real.indices[rng.int(real.indices.length)]);
    const synIdx = Array.from({ length: o.batchSize - nReal }, () => kept[rng.int(kept.length)]);
    const prompts = [...realIdx.map((i) => o.real.prompts[i]), ...synIdx.map((i) => o.synthetic.prompts[i])];
    const weights = [...realIdx.map(real.weight), ...synIdx.map(synWeight)];
    losses.push(
      trainer.step(() => {
        const parts: tf.Tensor4D[] = [];
        if (realIdx.length) parts.push(tf.gather(o.real.images, realIdx)); // (nReal, H, W, C)
        if (synIdx.length) parts.push(tf.gather(o.synthetic.images, synIdx)); // (nSyn, H, W, C)
        return gen.loss(tf.concat(parts, 0) as tf.Tensor4D, prompts, rng, weights);
      }).loss,
    );
    gen.updateEma();
  }
  return { kept: kept.length, keptReal: real.indices.length, losses };
}

function keptByReward(rewards: readonly number[], threshold: number): number[] {
  return rewards.map((_, i) => i).filter((i) => rewards[i] >= threshold);
}

/** reward / mean kept reward: the kept samples' weights average 1. */
function weightsOf(rewards: readonly number[], kept: readonly number[]): (i: number) => number {
  const meanKept = kept.reduce((s, i) => s + rewards[i], 0) / Math.max(1, kept.length);
  return (i) => rewards[i] / Math.max(meanKept, 1e-8);
}

export interface DdpoOptions {
  /** Distinct prompts per epoch; each is sampled `samplesPerPrompt` times. */
  prompts: readonly string[];
  samplesPerPrompt: number;
  /** Reward per image, e.g. the Selector's r̂ or the Policy's alignment. */
  reward: (images: tf.Tensor4D, prompts: readonly string[]) => ArrayLike<number>;
  /** Frozen reference weights for the KL penalty (e.g. gen.store.clone() before fine-tuning). */
  reference: ParamStore;
  steps: number;
  guidance: number;
  /** PPO clip range of the importance ratio. */
  clipRange: number;
  /** Weight of KL(π_θ ‖ π_ref) per denoising step. */
  klWeight: number;
  seed: number;
}

export interface DdpoEpochResult {
  meanReward: number;
  /** Mean per-step KL to the reference (per pixel, in nats), over the updates. */
  meanKl: number;
  meanLoss: number;
}

/** Rewards standardised within each prompt's group of samples. */
export function perPromptAdvantages(prompts: readonly string[], rewards: ArrayLike<number>): Float32Array {
  const groups = new Map<string, number[]>();
  prompts.forEach((p, i) => groups.set(p, [...(groups.get(p) ?? []), i]));
  const adv = new Float32Array(prompts.length);
  for (const idx of groups.values()) {
    const mean = idx.reduce((s, i) => s + rewards[i], 0) / idx.length;
    const std = Math.sqrt(idx.reduce((s, i) => s + (rewards[i] - mean) ** 2, 0) / idx.length);
    for (const i of idx) adv[i] = (rewards[i] - mean) / (std + 1e-6);
  }
  return adv;
}

/**
 * One DDPO epoch (Black et al. 2023, with DPOK's KL penalty): sample with DDIM η = 1 from the
 * live weights, score, standardise rewards per prompt, then one clipped importance-ratio update
 * per denoising step, plus klWeight·KL to the reference. For equal σ the per-step KL of two
 * Gaussians is ‖μ_θ − μ_ref‖² / (2σ²).
 */
export function ddpoEpoch(gen: Generator, trainer: Trainer, o: DdpoOptions): DdpoEpochResult {
  if (o.samplesPerPrompt < 2) throw invalid('ddpoEpoch: samplesPerPrompt must be ≥ 2 for per-prompt advantages');
  const prompts = o.prompts.flatMap((p) => new Array(o.samplesPerPrompt).fill(p) as string[]);
  const { images, trajectory } = gen.sample({ prompts, seed: o.seed, steps: o.steps, guidance: o.guidance, eta: 1, useEma: false, recordTrajectory: true });
  const rewards = Array.from(o.reward(images, prompts));
  images.dispose();
  const adv = perPromptAdvantages(prompts, rewards);
  let klSum = 0;
  let lossSum = 0;
  const ctx = tf.tidy(() => {
    const k = gen.samplingContext(prompts, o.guidance);
    return { tokens: tf.keep(k.tokens), mask: tf.keep(k.mask), pooled: tf.keep(k.pooled) };
  });
  const advT = tf.tensor1d(adv); // (B)
  for (const step of trajectory) {
    let kl = 0;
    lossSum += trainer.step(() => {
      const { mean } = gen.ddimStepMean(gen.store, step.x, step.t, step.tPrev, ctx, o.guidance, 1); // (B, H, W, C)
      const { mean: refMean } = gen.ddimStepMean(o.reference, step.x, step.t, step.tPrev, ctx, o.guidance, 1); // (B, H, W, C)
      const logp = Generator.logProb(step.xPrev, mean, step.sigma); // (B)
      const ratio = tf.exp(tf.sub(logp, tf.tensor1d(step.logProb))); // (B)
      const unclipped = tf.mul(tf.neg(advT), ratio); // (B)
      const clipped = tf.mul(tf.neg(advT), tf.clipByValue(ratio, 1 - o.clipRange, 1 + o.clipRange)); // (B)
      const klPerSample = tf.div(tf.mean(tf.squaredDifference(mean, refMean), [1, 2, 3]), 2 * step.sigma * step.sigma); // (B)
      const klMean = tf.mean(klPerSample); // ()
      kl = klMean.dataSync()[0];
      return tf.add(tf.mean(tf.maximum(unclipped, clipped)), tf.mul(klMean, o.klWeight)) as tf.Scalar;
    }).loss;
    klSum += kl;
  }
  disposeTrajectory(trajectory);
  tf.dispose([advT, ctx.tokens, ctx.mask, ctx.pooled]);
  return { meanReward: rewards.reduce((s, r) => s + r, 0) / rewards.length, meanKl: klSum / Math.max(1, trajectory.length), meanLoss: lossSum / Math.max(1, trajectory.length) };
}
