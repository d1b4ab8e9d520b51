import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { createDense, dense, gelu } from './layers';
import { TextEncoder } from './text-encoder';
import { VitConfig, VitPreset, VIT_PRESETS, createVitParams, validateVitConfig, vitForward } from './vit';
import { Trainer } from './optim';
import { Rng } from './random';
import type { FundusEncoder } from './fundus-encoder';

export type PolicyObjective = 'reinforce' | 'bce';

export interface PolicyConfig {
  vit: VitConfig;
  /** Widths after the concatenated [image ⊕ text] embedding (paper: 768, 384 after 1536). */
  hidden: number[];
  objective: PolicyObjective;
  /** Weight of the value-baseline regression in the loss. */
  valueWeight: number;
  /** REINFORCE: Bernoulli actions sampled per pair (variance reduction). */
  actionsPerSample: number;
  /**
   * Width of the image–text product features (projected image ⊙ projected text) added to the
   * concatenation: whether a caption fits an image is an interaction, which an MLP on [image ⊕ text]
   * alone learns slowly. 0 or absent (checkpoints from before it) = concatenation only.
   */
  interaction?: number;
}

export const POLICY_HIDDEN = { tiny: [32, 16], small: [384, 192], paper: [768, 384] } as const;

export function policyConfig(preset: VitPreset, overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  return { vit: { ...VIT_PRESETS[preset], ...overrides.vit }, hidden: [...POLICY_HIDDEN[preset]], objective: 'bce', valueWeight: 0.5, actionsPerSample: 8, ...overrides, ...(overrides.vit ? { vit: { ...VIT_PRESETS[preset], ...overrides.vit } } : {}) };
}

/** A rated image–prompt pair: reward r̂ = normalised alignment rating in [0, 1]. */
export interface PolicyBatch {
  images: tf.Tensor4D;
  prompts: readonly string[];
  rewards: readonly number[];
}

export interface PolicyStepResult {
  loss: number;
  meanReward: number;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/**
 * Image–text alignment score: ViT(image) ⊕ text encoder(prompt) -> MLP -> sigmoid, plus a
 * learned value head V(image, prompt) used as the REINFORCE baseline.
 *
 * Objectives (both proper, unlike MINIM's −mean(|r̂−s|·log s), which always pushes s to 1):
 * - 'reinforce': action a ~ Bernoulli(s) ("aligned" or not), reward R = a·r̂ + (1−a)(1−r̂),
 *   loss −(R − V)·log π(a) + c·(V − R)²; the expected reward is maximised by s → 1 when r̂ > ½
 *   and s → 0 when r̂ < ½.
 * - 'bce': cross-entropy of s against r̂ (s → r̂).
 */
export class Policy {
  readonly store: ParamStore;
  private rng: Rng;

  /**
   * `ownsText`: the text encoder is this policy's own copy (fine-tuned with it, saved with it and
   * disposed with it); otherwise the caller owns it and may share it.
   */
  constructor(readonly config: PolicyConfig, readonly text: TextEncoder, seed = 0, private readonly ownsText = false) {
    validateVitConfig(config.vit);
    if (!Number.isInteger(config.actionsPerSample) || config.actionsPerSample < 1) throw invalid(`Policy: actionsPerSample must be an integer ≥ 1, got ${config.actionsPerSample}`);
    if (config.hidden.length < 1 || config.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw invalid(`Policy: hidden widths must be positive integers, got [${config.hidden}]`);
    this.store = new ParamStore(seed);
    this.rng = new Rng(seed + 17);
    createVitParams(this.store, config.vit, 'img');
    const k = config.interaction ?? 0;
    if (!Number.isInteger(k) || k < 0) throw invalid(`Policy: interaction must be an integer ≥ 0, got ${k}`);
    if (k > 0) {
      createDense(this.store, 'head/imgProj', config.vit.dim, k);
      createDense(this.store, 'head/txtProj', text.config.dim, k);
    }
    let width = config.vit.dim + text.config.dim + k;
    config.hidden.forEach((h, i) => {
      createDense(this.store, `head/fc${i}`, width, h);
      width = h;
    });
    createDense(this.store, 'head/score', width, 1);
    createDense(this.store, 'value/fc', config.vit.dim + text.config.dim, config.hidden[config.hidden.length - 1]);
    createDense(this.store, 'value/out', config.hidden[config.hidden.length - 1], 1);
  }

  /**
   * Starts the image tower from a trained fundus encoder's ViT (same shape): features that already
   * tell the diagnoses apart, which a tower trained from scratch on a few hundred pairs does not find.
   */
  initImageTower(encoder: FundusEncoder): void {
    const a = encoder.config.vit;
    const b = this.config.vit;
    const keys = Object.keys(b) as (keyof VitConfig)[];
    if (keys.some((k) => a[k] !== b[k])) throw invalid(`Policy.initImageTower: the fundus encoder's ViT ${JSON.stringify(a)} differs from the policy's ${JSON.stringify(b)}`);
    const source = encoder.store.weightMap();
    for (const name of this.store.names().filter((n) => n.startsWith('img/'))) {
      const from = source[`vit/${name.slice('img/'.length)}`];
      if (!from) throw invalid(`Policy.initImageTower: the fundus encoder has no weight for ${name}`);
      this.store.get(name).assign(from);
    }
  }

  /** Policy variables, plus the text encoder's when it is fine-tuned. */
  trainableVariables(fineTuneText: boolean): tf.Variable[] {
    return [...this.store.trainable(), ...(fineTuneText ? this.text.trainableVariables() : [])];
  }

  /** Alignment logit and baseline value: (B, H, W, C), B prompts -> (B), (B) */
  forward(images: tf.Tensor4D, prompts: readonly string[]): { logit: tf.Tensor1D; value: tf.Tensor1D } {
    if (images.shape[0] !== prompts.length) throw invalid(`Policy: ${images.shape[0]} images but ${prompts.length} prompts`);
    const img = vitForward(this.store, this.config.vit, images, 'img'); // (B, Di)
    const txt = this.text.encodeTexts(prompts).pooled; // (B, Dt)
    const joint = tf.concat([img, txt], 1) as tf.Tensor2D; // (B, Di + Dt)
    let h = (this.config.interaction ?? 0) > 0 ? (tf.concat([joint, tf.mul(dense(this.store, 'head/imgProj', img), dense(this.store, 'head/txtProj', txt))], 1) as tf.Tensor2D) : joint; // (B, Di + Dt + K)
    this.config.hidden.forEach((_, i) => (h = gelu(dense(this.store, `head/fc${i}`, h)))); // (B, hidden_i)
    const logit = tf.reshape(dense(this.store, 'head/score', h), [-1]) as tf.Tensor1D; // (B)
    const v = tf.reshape(tf.sigmoid(dense(this.store, 'value/out', gelu(dense(this.store, 'value/fc', joint)))), [-1]) as tf.Tensor1D; // (B)
    return { logit, value: v };
  }

  /** Alignment scores s ∈ [0, 1]. */
  score(images: tf.Tensor4D, prompts: readonly string[]): Float32Array {
    const s = tf.tidy(() => tf.sigmoid(this.forward(images, prompts).logit));
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }

  /** The training loss for one batch (inside tf.tidy / variableGrads). */
  loss(batch: PolicyBatch): { loss: tf.Scalar; meanReward: number } {
    const { images, prompts, rewards } = batch;
    if (rewards.length !== prompts.length) throw invalid(`Policy: ${rewards.length} rewards for ${prompts.length} prompts`);
    if (rewards.some((r) => !(r >= 0 && r <= 1))) throw invalid('Policy: rewards must be normalised ratings in [0, 1]');
    const { logit, value } = this.forward(images, prompts);
    const r = tf.tensor1d(rewards as number[]); // (B)
    if (this.config.objective === 'bce') {
      const bce = tf.losses.sigmoidCrossEntropy(r, logit) as tf.Scalar; // ()
      const vLoss = tf.mean(tf.squaredDifference(value, r)); // ()
      const meanReward = rewards.reduce((s, x) => s + x, 0) / rewards.length;
      return { loss: tf.add(bce, tf.mul(vLoss, this.config.valueWeight)) as tf.Scalar, meanReward };
    }
    // K sampled actions per pair: the same unbiased gradient with less variance.
    const k = this.config.actionsPerSample;
    const b = rewards.length;
    const s = tf.sigmoid(logit).dataSync(); // sampled actions need the current probabilities
    const actions = new Float32Array(b * k);
    const returns = new Float32Array(b * k);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < k; j++) {
        const act = this.rng.bernoulli(s[i]);
        actions[i * k + j] = act;
        returns[i * k + j] = act === 1 ? rewards[i] : 1 - rewards[i];
      }
    }
    const baseline = value.dataSync();
    const advantage = tf.tensor2d(returns.map((R, n) => R - baseline[Math.floor(n / k)]), [b, k]); // (B, K), constant w.r.t. the policy
    const a = tf.tensor2d(actions, [b, k]); // (B, K)
    // log π(a) = log σ((2a−1)·z) = −softplus(−(2a−1)·z)  (stable; tf.logSigmoid's gradient fails on wasm)
    const logPi = tf.neg(tf.softplus(tf.neg(tf.mul(tf.sub(tf.mul(a, 2), 1), tf.expandDims(logit, 1))))); // (B, K)
    const pg = tf.neg(tf.mean(tf.mul(advantage, logPi))); // ()
    const vLoss = tf.mean(tf.square(tf.sub(tf.expandDims(value, 1), tf.tensor2d(returns, [b, k])))); // () (squaredDifference has no broadcast gradient)
    return { loss: tf.add(pg, tf.mul(vLoss, this.config.valueWeight)) as tf.Scalar, meanReward: returns.reduce((x, y) => x + y, 0) / returns.length };
  }

  /** One optimizer step; returns the loss and the mean reward of the batch. */
  trainStep(trainer: Trainer, batch: PolicyBatch): PolicyStepResult {
    let meanReward = 0;
    const { loss } = trainer.step(() => {
      const out = this.loss(batch);
      meanReward = out.meanReward;
      return out.loss;
    });
    return { loss, meanReward };
  }

  dispose(): void {
    this.store.dispose();
    if (this.ownsText) this.text.dispose();
  }
}

export interface RatedSample {
  index: number;
  reward: number;
}

/**
 * Stage 2 keeps only samples the Selector accepts (quality score ≥ threshold, and not too
 * uncertain when an uncertainty cap is given); stage 1 uses every rated sample.
 */
export function stageSamples<T extends RatedSample>(stage: 1 | 2, samples: readonly T[], selectorScores?: ArrayLike<number>, threshold = 0.5, maxUncertainty = Infinity, uncertainty?: ArrayLike<number>): T[] {
  if (stage === 1) return samples.slice();
  if (!selectorScores) throw invalid('stageSamples: stage 2 needs selector scores');
  return samples.filter((s) => selectorScores[s.index] >= threshold && (!uncertainty || uncertainty[s.index] <= maxUncertainty));
}

export interface PolicyStageData {
  /** (N, H, W, C) in [−1, 1]. */
  images: tf.Tensor4D;
  prompts: readonly string[];
  /** Normalised alignment ratings r̂ ∈ [0, 1]. */
  rewards: readonly number[];
}

export interface PolicyStageOptions {
  stage: 1 | 2;
  /** Stage 2 only: the Selector's quality score per image, and the acceptance threshold. */
  selectorScores?: ArrayLike<number>;
  threshold?: number;
  steps: number;
  batchSize: number;
  seed: number;
}

/** What a `PolicyUpdated` event reports. */
export interface PolicyStageResult {
  stage: 1 | 2;
  samples: number;
  meanReward: number;
  loss: number;
}

/** Trains one stage: stage 1 on every rated sample, stage 2 on the selector-accepted ones. */
export function trainPolicyStage(policy: Policy, trainer: Trainer, data: PolicyStageData, o: PolicyStageOptions): PolicyStageResult {
  const n = data.prompts.length;
  if (data.images.shape[0] !== n || data.rewards.length !== n) throw invalid('trainPolicyStage: images, prompts and rewards differ in length');
  const chosen = stageSamples(o.stage, data.rewards.map((reward, index) => ({ index, reward })), o.selectorScores, o.threshold ?? 0.5);
  if (chosen.length === 0) throw invalid(`trainPolicyStage: stage ${o.stage} has no samples to train on`);
  const rng = new Rng(o.seed);
  let loss = 0;
  let reward = 0;
  for (let step = 0; step < o.steps; step++) {
    const idx = Array.from({ length: Math.min(o.batchSize, chosen.length) }, () => chosen[rng.int(chosen.length)].index);
    const images = tf.gather(data.images, idx) as tf.Tensor4D;
    try {
      const r = policy.trainStep(trainer, { images, prompts: idx.map((i) => data.prompts[i]), rewards: idx.map((i) => data.rewards[i]) });
      loss += r.loss;
      reward += r.meanReward;
    } finally {
      images.dispose();
    }
  }
  return { stage: o.stage, samples: chosen.length, meanReward: reward / o.steps, loss: loss / o.steps };
}
