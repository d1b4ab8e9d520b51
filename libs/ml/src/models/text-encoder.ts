import * as tf from '@tensorflow/tfjs-core';
import { ParamStore } from './params';
import { createDense, createEncoderBlock, createLayerNorm, dense, embed, encoderBlock, gelu, layerNorm, maskedMeanPool } from './layers';
import { Rng } from './random';
import { EncodedBatch, MAX_SEQUENCE_LENGTH, WordPieceTokenizer } from './tokenizer';

export interface TextEncoderConfig {
  vocabSize: number;
  dim: number;
  heads: number;
  layers: number;
  mlpRatio: number;
  maxLength: number;
}

export type TextEncoderPreset = 'tiny' | 'small' | 'base';

/** base = the BiomedBERT / BERT-base shape. */
export const TEXT_ENCODER_PRESETS: Record<TextEncoderPreset, Omit<TextEncoderConfig, 'vocabSize'>> = {
  tiny: { dim: 32, heads: 2, layers: 2, mlpRatio: 2, maxLength: 64 },
  small: { dim: 256, heads: 4, layers: 4, mlpRatio: 4, maxLength: 128 },
  base: { dim: 768, heads: 12, layers: 12, mlpRatio: 4, maxLength: MAX_SEQUENCE_LENGTH },
};

export function textEncoderConfig(preset: TextEncoderPreset, vocabSize: number, overrides: Partial<TextEncoderConfig> = {}): TextEncoderConfig {
  return { ...TEXT_ENCODER_PRESETS[preset], vocabSize, ...overrides };
}

export interface TextFeatures {
  /** (B, T, D) contextual token embeddings. */
  tokens: tf.Tensor3D;
  /** (B, D) mean over real tokens. */
  pooled: tf.Tensor2D;
  /** (B, T) 1 = real token. */
  mask: tf.Tensor2D;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/**
 * Transformer text encoder (pre-LN BERT-style) with a tied masked-language-model head.
 * Parameters live under "text/"; leave `trainableVariables()` out of an optimizer to use it frozen.
 */
export class TextEncoder {
  readonly store: ParamStore;

  constructor(readonly config: TextEncoderConfig, readonly tokenizer: WordPieceTokenizer, seed = 0, store?: ParamStore) {
    const c = config;
    if (c.dim % c.heads !== 0) throw invalid(`TextEncoder: dim ${c.dim} is not divisible by heads ${c.heads}`);
    if (c.vocabSize !== tokenizer.size) throw invalid(`TextEncoder: vocabSize ${c.vocabSize} differs from the tokenizer's ${tokenizer.size}`);
    if (c.maxLength < 2 || c.maxLength > MAX_SEQUENCE_LENGTH) throw invalid(`TextEncoder: maxLength must be in [2, ${MAX_SEQUENCE_LENGTH}], got ${c.maxLength}`);
    if (c.layers < 1) throw invalid(`TextEncoder: layers must be ≥ 1, got ${c.layers}`);
    this.store = store ?? new ParamStore(seed);
    if (store) return;
    const s = this.store;
    s.normal('text/tok', [c.vocabSize, c.dim], 0.02);
    s.normal('text/pos', [c.maxLength, c.dim], 0.02);
    for (let i = 0; i < c.layers; i++) createEncoderBlock(s, `text/block${i}`, c);
    createLayerNorm(s, 'text/ln', c.dim);
    createDense(s, 'text/mlm/transform', c.dim, c.dim);
    createLayerNorm(s, 'text/mlm/ln', c.dim);
    s.zeros('text/mlm/bias', [c.vocabSize]);
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainable('text/');
  }

  /** Tokenises texts to the model's maximum length. */
  tokenize(texts: readonly string[]): EncodedBatch {
    return this.tokenizer.encodeBatch(texts, this.config.maxLength);
  }

  /** Hidden states of the whole sequence: ids (B·T) -> (B·T, D) */
  private hidden(ids: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor2D {
    const [b, t] = mask.shape;
    const d = this.config.dim;
    const tok = embed(this.store.get('text/tok') as tf.Tensor2D, ids); // (B·T, D)
    const pos = tf.slice(this.store.get('text/pos'), [0, 0], [t, d]); // (T, D)
    let x = tf.reshape(tf.add(tf.reshape(tok, [b, t, d]), pos), [b * t, d]) as tf.Tensor2D; // (B·T, D)
    for (let i = 0; i < this.config.layers; i++) x = encoderBlock(this.store, `text/block${i}`, x, b, this.config.heads, mask); // (B·T, D)
    return layerNorm(this.store, 'text/ln', x); // (B·T, D)
  }

  /** Token and pooled embeddings for a tokenised batch (call inside tf.tidy). */
  forward(batch: EncodedBatch): TextFeatures {
    const { batch: b, length: t } = batch;
    const ids = tf.tensor1d(batch.ids, 'int32'); // (B·T)
    const mask = tf.tensor2d(batch.mask, [b, t]); // (B, T)
    const h = this.hidden(ids, mask); // (B·T, D)
    return { tokens: tf.reshape(h, [b, t, this.config.dim]), pooled: maskedMeanPool(h, b, mask), mask };
  }

  /** Convenience: tokenise and encode (inside tf.tidy). */
  encodeTexts(texts: readonly string[]): TextFeatures {
    return this.forward(this.tokenize(texts));
  }

  /**
   * BERT masking: 15% of real, non-special tokens are targets; of those 80% become [MASK],
   * 10% a random token, 10% stay. Returns the corrupted ids and target positions.
   */
  maskTokens(batch: EncodedBatch, rng: Rng, rate = 0.15): { ids: Int32Array; positions: number[]; targets: number[] } {
    const ids = batch.ids.slice();
    const special = new Set(this.tokenizer.specialIds);
    const positions: number[] = [];
    const targets: number[] = [];
    const candidates: number[] = [];
    for (let i = 0; i < ids.length; i++) if (batch.mask[i] === 1 && !special.has(ids[i])) candidates.push(i);
    for (const i of candidates) if (rng.next() < rate) positions.push(i);
    // at least one target so the loss is defined
    if (positions.length === 0 && candidates.length > 0) positions.push(candidates[rng.int(candidates.length)]);
    for (const i of positions) {
      targets.push(ids[i]);
      const u = rng.next();
      if (u < 0.8) ids[i] = this.tokenizer.maskId;
      else if (u < 0.9) ids[i] = rng.int(this.tokenizer.size);
    }
    return { ids, positions, targets };
  }

  /** Masked-language-model cross-entropy (mean over masked positions) for one batch of texts. */
  mlmLoss(texts: readonly string[], rng: Rng): tf.Scalar {
    const batch = this.tokenize(texts);
    const { ids, positions, targets } = this.maskTokens(batch, rng);
    if (positions.length === 0) throw invalid('TextEncoder.mlmLoss: the batch has no maskable tokens');
    const n = batch.batch * batch.length;
    const mask = tf.tensor2d(batch.mask, [batch.batch, batch.length]); // (B, T)
    const h = this.hidden(tf.tensor1d(ids, 'int32'), mask); // (B·T, D)
    // select the masked rows with a one-hot matMul (gather has no gradient on wasm)
    const select = tf.cast(tf.oneHot(tf.tensor1d(positions, 'int32'), n), 'float32') as tf.Tensor2D; // (M, B·T)
    const picked = tf.matMul(select, h) as tf.Tensor2D; // (M, B·T) x (B·T, D) -> (M, D)
    const z = layerNorm(this.store, 'text/mlm/ln', gelu(dense(this.store, 'text/mlm/transform', picked))); // (M, D)
    const logits = tf.add(tf.matMul(z, this.store.get('text/tok') as tf.Tensor2D, false, true), this.store.get('text/mlm/bias')); // (M, D) x (D, V) -> (M, V)
    const labels = tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), this.config.vocabSize), 'float32'); // (M, V)
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar; // ()
  }

  dispose(): void {
    this.store.dispose();
  }
}
