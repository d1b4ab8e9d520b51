import * as tf from '@tensorflow/tfjs-core';
// Test-only fixture: phantom fundus images with known quality. The ml library itself never
// imports the phantom library; only this spec does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { renderPhantom } from '@forge/phantom';
import { setupTestBackend } from './test-backend';
import { Selector, normalizeRating, selectorConfig } from './selector';
import { expectedCalibrationError, spearman } from './calibration';

beforeAll(setupTestBackend);

/** n phantoms at 32 px as (n, 32, 32, 3) in [−1, 1], with their true quality 1..3. */
function phantoms(n: number, seed: number): { images: tf.Tensor4D; quality: number[] } {
  const size = 32;
  const data = new Float32Array(n * size * size * 3);
  const quality: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = renderPhantom({ seed: seed + i, size, quality: ((i % 3) + 1) as 1 | 2 | 3 });
    for (let j = 0; j < p.rgb.length; j++) data[i * size * size * 3 + j] = p.rgb[j] / 127.5 - 1;
    quality.push(p.labels.quality);
  }
  return { images: tf.tensor4d(data, [n, size, size, 3]), quality };
}

describe('Selector on phantom fundus images', () => {
  it('ranks held-out phantoms by their true quality', () => {
    const train = phantoms(96, 1000);
    const test = phantoms(48, 5000);
    const sel = new Selector(selectorConfig('tiny', { members: 2, vit: { imageSize: 32, patch: 4 } }), 8);
    const targets = train.quality.map(normalizeRating);
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const idx = Array.from({ length: 16 }, (_, i) => (step * 16 + i) % 96);
      const batch = tf.gather(train.images, idx) as tf.Tensor4D;
      losses.push(sel.trainStep(batch, idx.map((i) => targets[i]), undefined, { learningRate: 2e-3 }));
      batch.dispose();
    }
    const pred = sel.predict(test.images);
    const rho = spearman(pred.score, test.quality);
    const ece = expectedCalibrationError(pred.score, test.quality.map(normalizeRating));
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    console.log(`phantom selector loss ${mean(losses.slice(0, 5)).toFixed(4)} -> ${mean(losses.slice(-5)).toFixed(4)}; held-out Spearman ${rho.toFixed(3)}; ECE ${ece.toFixed(3)}`);
    expect(rho).toBeGreaterThanOrEqual(0.6);
    tf.dispose([train.images, test.images]);
    sel.dispose();
  });
});
