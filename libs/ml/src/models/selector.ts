import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { createDense, dense } from './layers';
import { Trainer, OptimizerConfig } from './optim';
import { VitConfig, VitPreset, VIT_PRESETS, createVitParams, validateVitConfig, vitForward } from './vit';
import { Rng } from './random';

export interface SelectorConfig {
  vit: VitConfig;
  /** Ensemble members (independently initialised and shuffled); their spread is the uncertainty. */
  members: number;
}

export function selectorConfig(preset: VitPreset, overrides: { vit?: Partial<VitConfig>; members?: number } = {}): SelectorConfig {
  return { vit: { ...VIT_PRESETS[preset], ...overrides.vit }, members: overrides.members ?? 3 };
}

/** Expert rating 1..3 -> r̂ = (r − 1)/2 ∈ [0, 1]. */
export function normalizeRating(rating: number): number {
  if (!(rating >= 1 && rating <= 3)) throw Object.assign(new Error(`normalizeRating: rating must be in [1, 3], got ${rating}`), { code: 'INVALID_INPUT' });
  return (rating - 1) / 2;
}

export interface SelectorPrediction {
  /** Ensemble mean of r̂ per image. */
  score: Float32Array;
  /** Ensemble standard deviation per image. */
  uncertainty: Float32Array;
}

/**
 * ViT regressor of normalised quality ratings, as a deep ensemble. Each member has its own
 * ParamStore ("vit/…", "head/…") and optimizer; the loss is MSE weighted by rater reliability.
 */
export class Selector {
  readonly members: ParamStore[];
  private trainers: Trainer[] = [];
  private readonly rngs: Rng[];

  constructor(readonly config: SelectorConfig, seed = 0) {
    validateVitConfig(config.vit);
    if (!Number.isInteger(config.members) || config.members < 1) throw Object.assign(new Error(`Selector: members must be an integer ≥ 1, got ${config.members}`), { code: 'INVALID_INPUT' });
    this.members = Array.from({ length: config.members }, (_, m) => {
      const s = new ParamStore(seed * 1000 + m);
      createVitParams(s, config.vit, 'vit');
      createDense(s, 'head', config.vit.dim, 1);
      return s;
    });
    this.rngs = this.members.map((_, m) => new Rng(seed * 7919 + m));
  }

  /** Member m's r̂ prediction: (B, H, W, C) -> (B) */
  memberForward(m: number, images: tf.Tensor4D): tf.Tensor1D {
    return this.memberEmbedAndScore(m, images).score;
  }

  /** Member m's image embedding (routing's diversity features) and r̂ from one pass: (B, H, W, C) -> (B, D), (B) */
  memberEmbedAndScore(m: number, images: tf.Tensor4D): { embedding: tf.Tensor2D; score: tf.Tensor1D } {
    const s = this.members[m];
    const embedding = vitForward(s, this.config.vit, images, 'vit'); // (B, D)
    const score = tf.reshape(tf.sigmoid(dense(s, 'head', embedding)), [-1]) as tf.Tensor1D; // (B)
    return { embedding, score };
  }

  /** Weighted MSE of member m (inside tf.tidy). */
  memberLoss(m: number, images: tf.Tensor4D, targets: readonly number[], weights?: readonly number[]): tf.Scalar {
    const b = images.shape[0];
    if (targets.length !== b) throw Object.assign(new Error(`Selector: ${b} images but ${targets.length} targets`), { code: 'INVALID_INPUT' });
    const err = tf.squaredDifference(this.memberForward(m, images), tf.tensor1d(targets as number[])); // (B)
    if (!weights) return tf.mean(err) as tf.Scalar;
    if (weights.length !== b) throw Object.assign(new Error(`Selector: ${weights.length} weights for ${b} images`), { code: 'INVALID_INPUT' });
    const total = weights.reduce((s, w) => s + w, 0);
    return tf.div(tf.sum(tf.mul(err, tf.tensor1d(weights as number[]))), Math.max(total, 1e-8)) as tf.Scalar;
  }

  /**
   * One optimizer step per member, each on its own bootstrap resample of the batch.
   * images (B, H, W, C); targets r̂; weights = rater reliability (default 1). Returns mean loss.
   */
  trainStep(images: tf.Tensor4D, targets: readonly number[], weights?: readonly number[], optimizer: Partial<OptimizerConfig> = {}): number {
    this.ensureTrainers(optimizer);
    const b = images.shape[0];
    let total = 0;
    this.members.forEach((_, m) => {
      const idx = Array.from({ length: b }, () => this.rngs[m].int(b));
      total += this.trainers[m].step(() => {
        const batch = tf.gather(images, idx) as tf.Tensor4D;
        return this.memberLoss(m, batch, idx.map((i) => targets[i]), weights ? idx.map((i) => weights[i]) : undefined);
      }).loss;
    });
    return total / this.members.length;
  }

  private ensureTrainers(optimizer: Partial<OptimizerConfig>): void {
    if (this.trainers.length === 0) this.trainers = this.members.map((s) => new Trainer(s.trainable(), { learningRate: 1e-3, weightDecay: 1e-4, ...optimizer }));
  }

  /**
   * Each member's optimizer moments ("member<m>/…", fresh tensors the caller disposes) and resampling
   * position: with the weights, what a training run interrupted here needs to continue exactly.
   */
  async trainingState(): Promise<{ optimizer: tf.NamedTensorMap; rngs: number[] }> {
    const optimizer: tf.NamedTensorMap = {};
    for (const [m, t] of this.trainers.entries()) for (const [name, w] of Object.entries(await t.exportState())) optimizer[`member${m}/${name}`] = w;
    return { optimizer, rngs: this.rngs.map((r) => r.snapshot()) };
  }

  /** Restores trainingState() into a selector with the same weights, before its next trainStep. */
  async restoreTrainingState(state: { optimizer: tf.NamedTensorMap; rngs: number[] }, optimizer: Partial<OptimizerConfig> = {}): Promise<void> {
    if (state.rngs.length !== this.members.length) throw Object.assign(new Error(`Selector: training state has ${state.rngs.length} members, the selector ${this.members.length}`), { code: 'INVALID_INPUT' });
    const byMember = (m: number) => Object.fromEntries(Object.entries(state.optimizer).filter(([n]) => n.startsWith(`member${m}/`)).map(([n, t]) => [n.slice(`member${m}/`.length), t]));
    if (Object.keys(state.optimizer).length > 0) {
      this.ensureTrainers(optimizer);
      for (const [m, t] of this.trainers.entries()) await t.importState(byMember(m));
    }
    state.rngs.forEach((r, m) => this.rngs[m].restore(r));
  }

  /** Ensemble mean and spread of r̂ per image. */
  predict(images: tf.Tensor4D): SelectorPrediction {
    const preds = tf.tidy(() => tf.stack(this.members.map((_, m) => this.memberForward(m, images)))); // (M, B)
    const [mean, std] = tf.tidy(() => {
      const { mean: mu, variance } = tf.moments(preds, 0); // (B), (B)
      return [mu, tf.sqrt(variance)];
    });
    const out = { score: mean.dataSync() as Float32Array, uncertainty: std.dataSync() as Float32Array };
    tf.dispose([preds, mean, std]);
    return out;
  }

  dispose(): void {
    this.trainers.forEach((t) => t.dispose());
    this.members.forEach((s) => s.dispose());
  }
}
