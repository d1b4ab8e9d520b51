import * as tf from '@tensorflow/tfjs-core';
import { setupTestBackend } from './test-backend';
import { Generator, generatorConfig } from './generator';
import { Trainer } from './optim';
import { TextEncoder, textEncoderConfig } from './text-encoder';
import { TextFeatureCache } from './text-feature-cache';
import { WordPieceTokenizer } from './tokenizer';

// The cache serves what the encoder computes: the same features at every real token whatever
// batch a prompt was first encoded in, zeros at padding the readers mask, a DiT output that does
// not change, and fresh features as soon as the encoder's weights change.

beforeAll(setupTestBackend);

const CAPTIONS = ['a red disc on the left', 'small bright lesions near the optic disc', 'a pale fundus', '', 'haemorrhages in every quadrant of a dark fundus'];

function encoder(): TextEncoder {
  const tok = WordPieceTokenizer.train(CAPTIONS, 60);
  return new TextEncoder(textEncoderConfig('tiny', tok.size, { dim: 16, heads: 2, layers: 2, maxLength: 12 }), tok, 3);
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5): void {
  expect(actual.shape).toEqual(expected.shape);
  const worst = Math.max(0, ...values(tf.abs(tf.sub(actual, expected))));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('TextFeatureCache', () => {
  it('gives the features the encoder gives, at every real token, whatever batch a prompt came in', () => {
    const text = encoder();
    const cache = new TextFeatureCache(text);
    tf.tidy(() => {
      cache.features([CAPTIONS[0], CAPTIONS[2]]); // cached from a batch padded to a different length
      const batch = [CAPTIONS[2], CAPTIONS[4], CAPTIONS[0], CAPTIONS[3]];
      const direct = text.encodeTexts(batch);
      const cached = cache.features(batch);
      expectClose(cached.mask, direct.mask, 0);
      expectClose(cached.pooled, direct.pooled);
      // Real tokens equal; padding is zero in the cache (the encoder's [PAD] outputs are masked everywhere).
      const mask = tf.expandDims(direct.mask, 2);
      expectClose(cached.tokens, tf.mul(direct.tokens, mask));
      expect(values(tf.sum(tf.abs(tf.mul(cached.tokens, tf.sub(1, mask)))))[0]).toBe(0);
    });
    expect(cache.misses).toBe(4);
    expect(cache.hits).toBe(2);
  });

  it('leaves a DiT output unchanged', () => {
    const text = encoder();
    const generator = new Generator(generatorConfig('tiny', 16, { dit: { imageSize: 8, patch: 4, dim: 16, depth: 1, heads: 2 } }), text, 5);
    const prompts = [CAPTIONS[1], CAPTIONS[3], CAPTIONS[4]];
    tf.tidy(() => {
      const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
      const uncached = text.encodeTexts(prompts);
      const expected = generator.predictNoise(generator.store, x, [10, 500, 990], { tokens: uncached.tokens, mask: uncached.mask, pooled: uncached.pooled });
      generator.samplingContext(prompts.slice(0, 1), 1); // one prompt cached from another batch first
      const actual = generator.predictNoise(generator.store, x, [10, 500, 990], generator.samplingContext(prompts, 1));
      expectClose(actual, expected);
    });
    expect(generator.textFeatures.hits).toBeGreaterThan(0);
    generator.dispose();
  });

  it('starts again when the encoder weights change', () => {
    const text = encoder();
    const cache = new TextFeatureCache(text);
    const before = tf.tidy(() => tf.keep(cache.features([CAPTIONS[0]]).pooled));
    // A training step on the encoder assigns its variables new values.
    const trainer = new Trainer(text.trainableVariables(), { learningRate: 0.05 });
    trainer.step(() => tf.sum(tf.square(text.encodeTexts([CAPTIONS[0]]).pooled)) as tf.Scalar);
    tf.tidy(() => {
      const after = cache.features([CAPTIONS[0]]).pooled;
      expectClose(after, text.encodeTexts([CAPTIONS[0]]).pooled);
      expect(values(tf.max(tf.abs(tf.sub(after, before))))[0]).toBeGreaterThan(1e-4);
    });
    expect(cache.misses).toBe(2);
    before.dispose();
  });

  it('keeps at most its capacity and frees what it evicts', () => {
    const text = encoder();
    const { maxLength, dim } = text.config;
    const cache = new TextFeatureCache(text, 2 * 4 * (maxLength * dim + dim + maxLength)); // room for two prompts
    expect(cache.capacity).toBe(2);
    tf.tidy(() => {
      cache.features(CAPTIONS.slice(0, 2));
    });
    const tensors = tf.memory().numTensors;
    for (const caption of CAPTIONS.slice(2)) {
      tf.tidy(() => {
        cache.features([caption]);
      });
    }
    expect(cache.size).toBe(2);
    expect(tf.memory().numTensors).toBe(tensors);
    // A batch larger than the capacity is still served whole.
    const all = tf.tidy(() => tf.keep(cache.features(CAPTIONS).tokens));
    expect(all.shape[0]).toBe(CAPTIONS.length);
    all.dispose();
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('is not used while the generator trains its text encoder', () => {
    const text = encoder();
    const generator = new Generator(generatorConfig('tiny', 16, { dit: { imageSize: 8, patch: 4, dim: 16, depth: 1, heads: 2 }, trainText: true }), text, 5);
    tf.tidy(() => {
      generator.samplingContext([CAPTIONS[0]], 1);
    });
    expect(generator.textFeatures.misses + generator.textFeatures.hits).toBe(0);
    generator.dispose();
  });
});
