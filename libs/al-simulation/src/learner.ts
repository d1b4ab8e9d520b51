import * as tf from '@tensorflow/tfjs-core';
import { Rng, Selector, selectorConfig, type VitConfig } from '@forge/ml';

export interface LearnerConfig {
  /** Ensemble members: their spread is routing's uncertainty. */
  members: number;
  /** Overrides of the `tiny` ViT preset (image size is set from the pool). */
  vit: Partial<VitConfig>;
  learningRate: number;
  /** Images per training step, drawn with replacement from the rated set. */
  batchSize: number;
  /**
   * Scores and features come from an exponential moving average of each member's weights (0 = the
   * raw weights): a few steps on a small rated set move the raw weights a lot, the average much less.
   */
  emaDecay: number;
}

/**
 * The loop demo's selector (32 px, patch 8, 48-d, 3 members) with one encoder block instead of two,
 * so a whole simulation fits a test; the weights routing and evaluation use are averaged (EMA 0.95).
 */
export const TINY_LEARNER: LearnerConfig = { members: 3, vit: { patch: 8, dim: 48, depth: 1, heads: 4, mlpRatio: 2 }, learningRate: 2e-3, batchSize: 48, emaDecay: 0.95 };

/** What the models say about each image: routing's inputs. */
export interface LearnerView {
  /** Ensemble mean of r̂. */
  score: number[];
  /** Each member's r̂ per image: [image][member]. */
  samples: number[][];
  /** Every member's mean-pooled ViT embedding, concatenated: distances add over members. */
  features: number[][];
}

/**
 * The tiny Selector (a ViT deep ensemble on r̂) as an active learner: trained on whatever has been
 * rated so far, continuing from its last state when more ratings arrive, as the loop's retraining does.
 */
export class QualityLearner {
  readonly selector: Selector;
  /** The averaged weights routing and evaluation look at (the trained selector itself when emaDecay is 0). */
  private readonly averaged: Selector;
  private readonly rng: Rng;

  constructor(readonly config: LearnerConfig, imageSize: number, seed: number) {
    if (!(config.learningRate > 0)) throw new RangeError(`learner: learningRate must be > 0, got ${config.learningRate}`);
    if (!Number.isInteger(config.batchSize) || config.batchSize < 1) throw new RangeError(`learner: batchSize must be a positive integer, got ${config.batchSize}`);
    if (!(config.emaDecay >= 0 && config.emaDecay < 1)) throw new RangeError(`learner: emaDecay must be in [0, 1), got ${config.emaDecay}`);
    const selector = selectorConfig('tiny', { members: config.members, vit: { ...config.vit, imageSize } });
    this.selector = new Selector(selector, seed);
    this.averaged = this.selector;
    if (config.emaDecay > 0) {
      this.averaged = new Selector(selector, seed);
      this.averaged.members.forEach((s, m) => s.load(this.selector.members[m].weightMap()));
    }
    this.rng = new Rng(seed * 31 + 7);
  }

  /** `steps` optimizer steps on batches of the rated images (indices into `images`) and their targets r̂. */
  train(images: tf.Tensor4D, rated: readonly number[], targets: readonly number[], steps: number): number {
    if (rated.length !== targets.length) throw new RangeError(`learner: ${rated.length} rated images but ${targets.length} targets`);
    if (rated.length === 0) throw new RangeError('learner: nothing rated to train on');
    let loss = 0;
    for (let s = 0; s < steps; s++) {
      const pick = Array.from({ length: this.config.batchSize }, () => this.rng.int(rated.length));
      const batch = tf.gather(images, pick.map((p) => rated[p])) as tf.Tensor4D; // (batch, H, W, C)
      loss = this.selector.trainStep(batch, pick.map((p) => targets[p]), undefined, { learningRate: this.config.learningRate });
      batch.dispose();
      if (this.averaged !== this.selector) this.averaged.members.forEach((s, m) => s.emaUpdate(this.selector.members[m], this.config.emaDecay));
    }
    return loss;
  }

  /** Scores, member scores and features of `images` (B, H, W, C). */
  view(images: tf.Tensor4D): LearnerView {
    const sel = this.averaged;
    const [scores, embeddings] = tf.tidy(() => {
      const perMember = sel.members.map((_, m) => sel.memberEmbedAndScore(m, images)); // M × {(B, D), (B)}
      return [tf.stack(perMember.map((p) => p.score), 1), tf.concat(perMember.map((p) => p.embedding), 1)]; // (B, M), (B, M·D)
    });
    const samples = scores.arraySync() as number[][];
    const features = embeddings.arraySync() as number[][];
    tf.dispose([scores, embeddings]);
    return { score: samples.map((s) => s.reduce((a, b) => a + b, 0) / s.length), samples, features };
  }

  dispose(): void {
    if (this.averaged !== this.selector) this.averaged.dispose();
    this.selector.dispose();
  }
}
