import * as tf from '@tensorflow/tfjs-core';
import type { TextEncoder, TextFeatures } from './text-encoder';

// A frozen text encoder's features per prompt. The DiT trains on the same captions epoch after
// epoch with the text encoder frozen, and encoding a batch of captions was ~15% of a demo
// training step. A prompt attends only to its own tokens (padding keys are masked), so its
// features at its real tokens do not depend on the batch it came in: they are kept zero-padded
// to the encoder's maximum length and a batch is cut to its longest prompt, as the tokenizer
// pads it. Padding positions hold zeros instead of the encoder's output for [PAD]; every reader
// masks them (cross-attention gives them weight exactly 0), so the DiT sees the same thing.
// The cache empties itself when any of the encoder's weights changes (training, loading): every
// update assigns a variable new data, so the variables' data ids say whether the weights moved.

/** Cached features take at most this many bytes by default. */
export const TEXT_CACHE_BUDGET_BYTES = 256 * 1024 * 1024;

interface Entry {
  /** Real tokens, special ones included. */
  length: number;
  /** (maxLength, D), zeros beyond `length` */
  tokens: tf.Tensor2D;
  /** (D) */
  pooled: tf.Tensor1D;
}

export class TextFeatureCache {
  /** Least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private weightIds: readonly object[] = [];
  /** Prompts kept at most (from the byte budget and the encoder's shape). */
  readonly capacity: number;
  /** Prompts served from the cache and encoded, since creation. */
  hits = 0;
  misses = 0;

  constructor(
    private readonly encoder: TextEncoder,
    budgetBytes = TEXT_CACHE_BUDGET_BYTES,
  ) {
    const { maxLength: t, dim: d } = encoder.config;
    this.capacity = Math.max(1, Math.floor(budgetBytes / (4 * (t * d + d))));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Tensors the cache holds (two per prompt), for accounting of tensor counts. */
  get tensorCount(): number {
    return 2 * this.entries.size;
  }

  /** The encoder's features for `texts`, as TextEncoder.encodeTexts gives them (call inside tf.tidy). */
  features(texts: readonly string[]): TextFeatures {
    this.forgetIfWeightsChanged();
    const missing = [...new Set(texts.filter((text) => !this.entries.has(text)))];
    if (missing.length > 0) this.encode(missing);
    const rows = texts.map((text) => {
      const entry = this.entries.get(text) as Entry;
      // Most recently used last.
      this.entries.delete(text);
      this.entries.set(text, entry);
      return entry;
    });
    this.hits += texts.length - missing.length;
    this.misses += missing.length;
    // The tokenizer's batch length: the longest prompt, at least 2.
    const [b, t, d] = [texts.length, Math.max(2, ...rows.map((r) => r.length)), this.encoder.config.dim];
    const mask = new Float32Array(b * t);
    rows.forEach((r, i) => mask.fill(1, i * t, i * t + r.length));
    const features = {
      tokens: tf.slice(tf.stack(rows.map((r) => r.tokens)), [0, 0, 0], [b, t, d]) as tf.Tensor3D, // (B, T, D)
      pooled: tf.stack(rows.map((r) => r.pooled)) as tf.Tensor2D, // (B, D)
      mask: tf.tensor2d(mask, [b, t]), // (B, T)
    };
    this.evictBeyondCapacity();
    return features;
  }

  /** Frees every cached tensor. */
  clear(): void {
    for (const entry of this.entries.values()) tf.dispose([entry.tokens, entry.pooled]);
    this.entries.clear();
  }

  private encode(texts: string[]): void {
    const { maxLength, dim } = this.encoder.config;
    const lengths = texts.map((text) => this.encoder.tokenizer.encode(text, maxLength).length);
    const rows = tf.tidy(() => {
      const f = this.encoder.encodeTexts(texts);
      const [tokens, pooled] = [tf.unstack(f.tokens), tf.unstack(f.pooled)];
      return texts.map((_, i) => {
        const real = tf.slice(tokens[i], [0, 0], [lengths[i], dim]); // (length, D)
        return { tokens: tf.pad(real, [[0, maxLength - lengths[i]], [0, 0]]) as tf.Tensor2D, pooled: pooled[i] as tf.Tensor1D };
      });
    });
    texts.forEach((text, i) => {
      const row = rows[i];
      this.entries.set(text, { length: lengths[i], tokens: tf.keep(row.tokens), pooled: tf.keep(row.pooled) });
    });
  }

  private evictBeyondCapacity(): void {
    for (const [text, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      tf.dispose([entry.tokens, entry.pooled]);
      this.entries.delete(text);
    }
  }

  private forgetIfWeightsChanged(): void {
    const ids = Object.values(this.encoder.store.weightMap()).map((v) => v.dataId);
    const same = ids.length === this.weightIds.length && ids.every((id, i) => id === this.weightIds[i]);
    if (!same) {
      this.clear();
      this.weightIds = ids;
    }
  }
}
