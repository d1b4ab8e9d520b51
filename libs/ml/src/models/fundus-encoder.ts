import * as tf from '@tensorflow/tfjs-core';
import { createDense, dense } from './layers';
import { Trainer } from './optim';
import { ParamStore } from './params';
import { VitConfig, VitPreset, VIT_PRESETS, createVitParams, validateVitConfig, vitForward } from './vit';

export interface FundusEncoderConfig {
  vit: VitConfig;
  /** Class names of the diagnosis head, e.g. ['normal', 'diabetic_retinopathy', …]. */
  classes: string[];
}

export function fundusEncoderConfig(preset: VitPreset, classes: string[], vit: Partial<VitConfig> = {}): FundusEncoderConfig {
  return { vit: { ...VIT_PRESETS[preset], ...vit }, classes };
}

/**
 * A ViT trained here to classify fundus diagnoses. Its pooled embedding is the feature space of
 * FD-fundus, KID and precision/recall, and its class probabilities feed IS. It is trained once on
 * real images and then frozen, so figures from different loop iterations are comparable.
 * (They are not comparable with Inception-based FID.)
 */
export class FundusEncoder {
  readonly store: ParamStore;
  private trainer?: Trainer;

  constructor(readonly config: FundusEncoderConfig, seed = 0) {
    validateVitConfig(config.vit);
    if (config.classes.length < 2) throw Object.assign(new Error(`FundusEncoder: needs ≥ 2 classes, got ${config.classes.length}`), { code: 'INVALID_INPUT' });
    this.store = new ParamStore(seed);
    createVitParams(this.store, config.vit, 'vit');
    createDense(this.store, 'head', config.vit.dim, config.classes.length);
  }

  /** (B, H, W, C) in [−1, 1] -> (B, D) pooled features. */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return vitForward(this.store, this.config.vit, images, 'vit');
  }

  /** (B, H, W, C) -> (B, K) logits. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    return dense(this.store, 'head', this.embed(images)) as tf.Tensor2D;
  }

  /** One Adam step of softmax cross-entropy; labels are class indices. Returns the loss. */
  trainStep(images: tf.Tensor4D, labels: readonly number[], learningRate = 1e-3): number {
    const k = this.config.classes.length;
    if (labels.length !== images.shape[0]) throw Object.assign(new Error(`FundusEncoder: ${images.shape[0]} images but ${labels.length} labels`), { code: 'INVALID_INPUT' });
    const bad = labels.find((l) => !Number.isInteger(l) || l < 0 || l >= k);
    if (bad !== undefined) throw Object.assign(new Error(`FundusEncoder: label ${bad} is not a class index 0..${k - 1}`), { code: 'INVALID_INPUT' });
    this.trainer ??= new Trainer(this.store.trainable(), { learningRate, weightDecay: 1e-4 });
    return this.trainer.step(() => {
      const oneHot = tf.oneHot(tf.tensor1d(labels as number[], 'int32'), k); // (B, K)
      return tf.losses.softmaxCrossEntropy(oneHot, this.logits(images)) as tf.Scalar;
    }).loss;
  }

  /** Features and class probabilities as plain arrays, for the metrics library. */
  describe(images: tf.Tensor4D): { features: Float64Array[]; probabilities: Float64Array[] } {
    const [f, p] = tf.tidy(() => {
      const feats = this.embed(images); // (B, D)
      return [feats, tf.softmax(dense(this.store, 'head', feats))]; // (B, D), (B, K)
    });
    const [b, d] = f.shape;
    const k = p.shape[1];
    const fd = f.dataSync();
    const pd = p.dataSync();
    tf.dispose([f, p]);
    return {
      features: Array.from({ length: b }, (_, i) => Float64Array.from(fd.subarray(i * d, (i + 1) * d))),
      probabilities: Array.from({ length: b }, (_, i) => Float64Array.from(pd.subarray(i * k, (i + 1) * k))),
    };
  }

  dispose(): void {
    this.trainer?.dispose();
    this.store.dispose();
  }
}
