import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { createDense, dense } from './layers';
import { Trainer, OptimizerConfig } from './optim';
import { VitConfig, VitPreset, VIT_PRESETS, createVitParams, validateVitConfig, vitForward } from './vit';
import { Rng } from './random';
import { createFeatureDensity, featureDistance, updateFeatureDensity } from './feature-density';

export interface SelectorConfig {
  vit: VitConfig;
  /** Ensemble members (independently initialised and shuffled); their spread is the uncertainty. */
  members: number;
  /**
   * Keep a Gaussian of each member's training embeddings and add their Mahalanobis distance to the
   * uncertainty (see feature-density.ts). Absent or false: ensemble spread only (older checkpoints).
   */
  featureDensity?: boolean;
}

export function selectorConfig(preset: VitPreset, overrides: { vit?: Partial<VitConfig>; members?: number; featureDensity?: boolean } = {}): SelectorConfig {
  return { vit: { ...VIT_PRESETS[preset], ...overrides.vit }, members: overrides.members ?? 3, featureDensity: overrides.featureDensity ?? true };
}

/** The running Gaussian of the member's training embeddings. */
const DENSITY = 'density';

/** Expert rating 1..3 -> r̂ = (r − 1)/2 ∈ [0, 1]. */
export function normalizeRating(rating: number): number {
  if (!(rating >= 1 && rating <= 3)) throw Object.assign(new Error(`normalizeRating: rating must be in [1, 3], got ${rating}`), { code: 'INVALID_INPUT' });
  return (rating - 1) / 2;
}

export interface SelectorPrediction {
  /** Ensemble mean of r̂ per image. */
  score: Float32Array;
  /** Ensemble standard deviation per image, widened by the feature distance when the selector keeps one. */
  uncertainty: Float32Array;
  /** Ensemble standard deviation of r̂ alone. */
  spread: Float32Array;
  /**
   * Mean over members of the Mahalanobis distance² / D of the image's embedding to the member's
   * training embeddings (≈ 1 in distribution, larger outside); null without a density or before training.
   */
  featureDistance: Float32Array | null;
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
    if (config.featureDensity !== undefined && typeof config.featureDensity !== 'boolean') throw Object.assign(new Error(`Selector: featureDensity must be a boolean, got ${String(config.featureDensity)}`), { code: 'INVALID_INPUT' });
    this.members = Array.from({ length: config.members }, (_, m) => {
      const s = new ParamStore(seed * 1000 + m);
      createVitParams(s, config.vit, 'vit');
      createDense(s, 'head', config.vit.dim, 1);
      if (config.featureDensity) createFeatureDensity(s, DENSITY, config.vit.dim);
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
    return this.weightedMse(this.memberForward(m, images), targets, weights);
  }

  private weightedMse(pred: tf.Tensor1D, targets: readonly number[], weights?: readonly number[]): tf.Scalar {
    const b = pred.shape[0];
    if (targets.length !== b) throw Object.assign(new Error(`Selector: ${b} images but ${targets.length} targets`), { code: 'INVALID_INPUT' });
    const err = tf.squaredDifference(pred, tf.tensor1d(targets as number[])); // (B)
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
    this.members.forEach((s, m) => {
      const idx = Array.from({ length: b }, () => this.rngs[m].int(b));
      let seen: tf.Tensor2D | undefined;
      total += this.trainers[m].step(() => {
        const batch = tf.gather(images, idx) as tf.Tensor4D;
        const { embedding, score } = this.memberEmbedAndScore(m, batch);
        // The embeddings of this pass (before the update) feed the density: no second forward pass.
        if (this.config.featureDensity) seen = tf.keep(tf.clone(embedding));
        return this.weightedMse(score, idx.map((i) => targets[i]), weights ? idx.map((i) => weights[i]) : undefined);
      }).loss;
      if (seen) {
        updateFeatureDensity(s, DENSITY, seen);
        seen.dispose();
      }
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

  /** Ensemble mean and spread of r̂ per image, and the distance of its features to the training data's. */
  predict(images: tf.Tensor4D): SelectorPrediction {
    const b = images.shape[0];
    const passes = this.members.map((_, m) => tf.tidy(() => this.memberEmbedAndScore(m, images))); // M × {(B, D), (B)}
    const [mean, std] = tf.tidy(() => {
      const { mean: mu, variance } = tf.moments(tf.stack(passes.map((p) => p.score)), 0); // (B), (B)
      return [mu, tf.sqrt(variance)];
    });
    let distance: Float32Array | null = null;
    if (this.config.featureDensity) {
      const perMember = passes.map((p, m) => featureDistance(this.members[m], DENSITY, p.embedding));
      if (perMember.every((d) => d !== null)) distance = Float32Array.from({ length: b }, (_, i) => perMember.reduce((s, d) => s + d![i], 0) / perMember.length);
    }
    const spread = std.dataSync() as Float32Array;
    const out = { score: mean.dataSync() as Float32Array, spread, uncertainty: distance ? combinedUncertainty(spread, distance) : spread.slice(), featureDistance: distance };
    tf.dispose([...passes.flatMap((p) => [p.embedding, p.score]), mean, std]);
    return out;
  }

  dispose(): void {
    this.trainers.forEach((t) => t.dispose());
    this.members.forEach((s) => s.dispose());
  }
}

/** Variance of r̂ ∈ [0, 1] when nothing is known about it (uniform): what uncertainty tends to far from the data. */
const UNINFORMED_VARIANCE = 1 / 12;

/**
 * Distance-aware uncertainty, as a Gaussian process with an RBF kernel on the whitened features
 * would give it: the ensemble's variance plus the uninformed variance times 1 − k, where
 * k = exp(−d²/2D) is how close the image lies to the training data (1 on it, → 0 far away).
 */
function combinedUncertainty(spread: Float32Array, distance: Float32Array): Float32Array {
  return spread.map((s, i) => Math.sqrt(s * s + UNINFORMED_VARIANCE * (1 - Math.exp(-distance[i] / 2))));
}
