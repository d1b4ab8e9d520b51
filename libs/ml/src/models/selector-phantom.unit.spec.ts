import * as tf from '@tensorflow/tfjs-core';
// Test-only fixture: phantom fundus images with known quality, rated by the simulated panel. The ml
// library itself never imports the phantom library; only this spec does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createPanel, renderPhantom, type Phantom } from '@forge/phantom';
import { setupTestBackend } from './test-backend';
import { Selector, normalizeRating, selectorConfig } from './selector';
import { expectedCalibrationError, rocAuc, spearman } from './calibration';
import { Rng } from './random';

beforeAll(setupTestBackend);

const SIZE = 32;

/** The loop's panel (libs/loop presets): a senior grader, a lenient resident and a strict grader. */
const RATERS = [
  { id: 'rater-senior', skill: 0.9, bias: 0 },
  { id: 'rater-resident', skill: 0.6, bias: 0.2 },
  { id: 'rater-strict', skill: 0.75, bias: -0.3 },
];

/** n phantoms at 32 px with true quality 1, 2, 3 in turn. */
function renderPhantoms(n: number, seed: number): Phantom[] {
  return Array.from({ length: n }, (_, i) => renderPhantom({ seed: seed + i, size: SIZE, quality: ((i % 3) + 1) as 1 | 2 | 3 }));
}

/** 8-bit RGB images -> (n, 32, 32, 3) in [−1, 1]. */
function toImages(rgbs: readonly ArrayLike<number>[]): tf.Tensor4D {
  const per = SIZE * SIZE * 3;
  const data = new Float32Array(rgbs.length * per);
  rgbs.forEach((rgb, i) => {
    for (let j = 0; j < per; j++) data[i * per + j] = rgb[j] / 127.5 - 1;
  });
  return tf.tensor4d(data, [rgbs.length, SIZE, SIZE, 3]);
}

/** Each image rated once by the panel, raters taken in turn, as the loop's first round does. */
function panelRatings(phantoms: readonly Phantom[], seed: number): number[] {
  const panel = createPanel({ seed, raters: RATERS });
  return phantoms.map((p, i) => panel.rate(RATERS[i % RATERS.length].id, p, p.caption, { quality: p.labels.quality, captionMatches: true }).quality);
}

/** Natural-image-like noise: random grids of 2…16 cells, upsampled and summed with amplitude ∝ cell size (≈ 1/f). */
function smoothNoise(rng: Rng): Uint8ClampedArray {
  const acc = new Float32Array(SIZE * SIZE * 3);
  for (const cells of [2, 4, 8, 16]) {
    const grid = Array.from({ length: cells * cells * 3 }, () => rng.next() - 0.5);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const g = (Math.floor((y * cells) / SIZE) * cells + Math.floor((x * cells) / SIZE)) * 3;
        for (let c = 0; c < 3; c++) acc[(y * SIZE + x) * 3 + c] += grid[g + c] / cells;
      }
    }
  }
  return Uint8ClampedArray.from(acc, (v) => 128 + 200 * v);
}

/** A sinusoidal grating, or a checkerboard, between two random colours. */
function texture(rng: Rng): Uint8ClampedArray {
  const [a, b] = [0, 1].map(() => [rng.int(256), rng.int(256), rng.int(256)]);
  const period = 3 + rng.next() * 10;
  const angle = rng.next() * Math.PI;
  const checker = rng.next() < 0.5;
  const out = new Uint8ClampedArray(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const u = x * Math.cos(angle) + y * Math.sin(angle);
      const v = -x * Math.sin(angle) + y * Math.cos(angle);
      const t = checker ? (Math.floor(u / period) + Math.floor(v / period)) & 1 : 0.5 + 0.5 * Math.sin((2 * Math.PI * u) / period);
      for (let c = 0; c < 3; c++) out[(y * SIZE + x) * 3 + c] = a[c] + (b[c] - a[c]) * t;
    }
  }
  return out;
}

/** Images the selector never saw anything like, each a different way of leaving the phantom domain. */
function outOfDistribution(phantoms: readonly Phantom[], rng: Rng): Record<string, Uint8ClampedArray[]> {
  const per = SIZE * SIZE;
  return {
    // same colours, no structure: every pixel of a phantom moved to a random place
    'shuffled pixels': phantoms.map((p) => {
      const order = rng.shuffle(Array.from({ length: per }, (_, k) => k));
      const out = new Uint8ClampedArray(per * 3);
      order.forEach((from, to) => out.set(p.rgb.subarray(from * 3, from * 3 + 3), to * 3));
      return out;
    }),
    'smooth noise': phantoms.map(() => smoothNoise(rng)),
    'uniform noise': phantoms.map(() => Uint8ClampedArray.from({ length: per * 3 }, () => rng.int(256))),
    // man-made textures, nothing like a fundus: coloured stripes and checkerboards of random period and angle
    textures: phantoms.map(() => texture(rng)),
    // same structure, another colour domain: the red fundus turned blue (RGB -> BGR)
    'BGR phantoms': phantoms.map((p) => {
      const out = new Uint8ClampedArray(per * 3);
      for (let k = 0; k < per; k++) out.set([p.rgb[k * 3 + 2], p.rgb[k * 3 + 1], p.rgb[k * 3]], k * 3);
      return out;
    }),
  };
}

function mean(a: ArrayLike<number>): number {
  return Array.from(a).reduce((s, x) => s + x, 0) / a.length;
}

/** Three training seeds: the margins below hold on each, not on a lucky one (9 is the weakest for shuffled pixels). */
const SEEDS = [8, 9, 10];

describe.each(SEEDS)('Selector on phantom fundus images rated by the simulated panel (seed %i)', (seed) => {
  const trainSet = renderPhantoms(96, 1000);
  const heldOut = renderPhantoms(48, 5000);
  let sel: Selector;
  let held: tf.Tensor4D;
  let losses: number[];

  beforeAll(() => {
    const ratings = panelRatings(trainSet, 11);
    const images = toImages(trainSet.map((p) => p.rgb));
    held = toImages(heldOut.map((p) => p.rgb));
    sel = new Selector(selectorConfig('tiny', { members: 3, vit: { imageSize: SIZE, patch: 4 } }), seed);
    const targets = ratings.map(normalizeRating);
    losses = [];
    for (let step = 0; step < 60; step++) {
      const idx = Array.from({ length: 16 }, (_, i) => (step * 16 + i) % trainSet.length);
      const batch = tf.gather(images, idx) as tf.Tensor4D;
      losses.push(sel.trainStep(batch, idx.map((i) => targets[i]), undefined, { learningRate: 2e-3 }));
      batch.dispose();
    }
    images.dispose();
  });

  afterAll(() => {
    held.dispose();
    sel.dispose();
  });

  it('ranks held-out phantoms by their true quality', () => {
    const truth = heldOut.map((p) => p.labels.quality);
    const pred = sel.predict(held);
    const rho = spearman(pred.score, truth);
    const ece = expectedCalibrationError(pred.score, truth.map(normalizeRating));
    console.log(`seed ${seed}: loss ${mean(losses.slice(0, 5)).toFixed(4)} -> ${mean(losses.slice(-5)).toFixed(4)}; held-out Spearman ${rho.toFixed(3)}; ECE ${ece.toFixed(3)}`);
    expect(rho).toBeGreaterThanOrEqual(0.7);
  });

  // Ensemble spread alone is no OOD signal here (noise ×0.8–3.7, BGR phantoms ×0.1–0.4 over seeds 8–12:
  // every member confidently scores them ~0.05); the feature distance is what carries these margins.
  it('is more uncertain on out-of-distribution images than on held-out phantoms', () => {
    const inPred = sel.predict(held);
    const auc = (a: ArrayLike<number>, b: ArrayLike<number>) => rocAuc([...Array.from(a), ...Array.from(b)], Array.from(a, () => 0).concat(Array.from(b, () => 1)));
    const lines = [`seed ${seed}: held-out spread ${mean(inPred.spread).toFixed(4)}, feature distance ${mean(inPred.featureDistance!).toFixed(2)}, uncertainty ${mean(inPred.uncertainty).toFixed(4)}`];
    const results: { name: string; ratio: number; auc: number; distanceAuc: number }[] = [];
    for (const [name, rgbs] of Object.entries(outOfDistribution(heldOut, new Rng(21)))) {
      const images = toImages(rgbs);
      const p = sel.predict(images);
      images.dispose();
      const r = { name, ratio: mean(p.uncertainty) / mean(inPred.uncertainty), auc: auc(inPred.uncertainty, p.uncertainty), distanceAuc: auc(inPred.featureDistance!, p.featureDistance!) };
      results.push(r);
      lines.push(`${name}: score ${mean(p.score).toFixed(3)}; spread ×${(mean(p.spread) / mean(inPred.spread)).toFixed(2)} AUC ${auc(inPred.spread, p.spread).toFixed(3)}; distance ${mean(p.featureDistance!).toFixed(2)} AUC ${r.distanceAuc.toFixed(3)}; uncertainty ×${r.ratio.toFixed(2)} AUC ${r.auc.toFixed(3)}`);
    }
    console.log(lines.join('\n'));
    // Shuffled pixels keep the colours and lose only the structure: the closest to the phantoms and the
    // weakest margin (uncertainty AUC 0.79–0.96 over seeds 8–10, the distance alone 0.89–0.98).
    const floor = (name: string) => (name === 'shuffled pixels' ? { ratio: 1.25, auc: 0.75 } : { ratio: 1.8, auc: 0.95 });
    const misses = results.flatMap((r) => {
      const f = floor(r.name);
      return [r.ratio < f.ratio && `${r.name}: ratio ${r.ratio.toFixed(2)} < ${f.ratio}`, r.auc < f.auc && `${r.name}: AUC ${r.auc.toFixed(3)} < ${f.auc}`, r.distanceAuc < 0.85 && `${r.name}: distance AUC ${r.distanceAuc.toFixed(3)} < 0.85`].filter((m): m is string => typeof m === 'string');
    });
    expect(misses).toEqual([]);
  });
});
