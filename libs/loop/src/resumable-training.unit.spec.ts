import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Rng, TextEncoder, textEncoderConfig, WordPieceTokenizer, type ParamStore } from '@forge/ml';
import { saveMeta } from './checkpoints';
import { latestPartial } from './partial-checkpoints';
import { LOOP_PRESETS } from './presets';
import { TrainingStopped, trainPolicyResumable, trainSelectorResumable } from './resumable-training';
import { newPolicy, newSelector, trainPolicy, trainSelector, type RatedSet } from './training';

const preset = LOOP_PRESETS.tiny;
const STEPS = 7;

/** Eight random 32 px images with ratings: enough for a few real optimizer steps. */
function ratedSet(): RatedSet {
  const rng = new Rng(9);
  const pixels = Array.from({ length: 8 }, () => ({ rgb: Uint8ClampedArray.from({ length: 32 * 32 * 3 }, () => rng.int(256)), width: 32, height: 32 }));
  return {
    pixels,
    captions: pixels.map((_, i) => (i % 2 ? 'drusen near the macula' : 'healthy fundus')),
    quality: pixels.map((_, i) => (i % 3) / 2),
    alignment: pixels.map((_, i) => (i % 2) / 1),
  };
}

/**
 * Largest weight difference between two models. Not always exactly 0: a restored Adam recomputes its
 * bias correction as β^t instead of multiplying β in t times, which can differ in float32's last bits
 * (measured: 7e-6 after two more policy steps; 3e-3 when the optimizer state is not restored at all).
 */
function maxDifference(a: ParamStore[], b: ParamStore[]): number {
  const wa = weights(a);
  const wb = weights(b);
  expect(Object.keys(wb).sort()).toEqual(Object.keys(wa).sort());
  return Math.max(...Object.keys(wa).map((n) => Math.max(...wa[n].map((x, i) => Math.abs(x - wb[n][i])))));
}

function weights(stores: ParamStore[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  stores.forEach((s, k) => Object.entries(s.weightMap()).forEach(([n, t]) => (out[`${k}:${n}`] = Array.from(t.dataSync()))));
  return out;
}

class Crash extends Error {}

describe('resumable selector and policy training', () => {
  let dir: string;
  let text: TextEncoder;
  const data = ratedSet();
  const meta = () => saveMeta('test-version', null, 0, 4, {});

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    const tokenizer = WordPieceTokenizer.train(data.captions, 60);
    text = new TextEncoder(textEncoderConfig('tiny', tokenizer.size, { dim: preset.text.dim, heads: preset.text.heads, layers: preset.text.layers, maxLength: preset.text.maxLength }), tokenizer, 1);
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-resume-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a selector run killed after a partial checkpoint resumes there and ends with the weights of an uninterrupted run', async () => {
    const plain = newSelector(preset, 4);
    const plainLoss = trainSelector(plain, data, STEPS, 8, 3);
    const partialDir = path.join(dir, 'selector-x.partial');

    // The first attempt saves partial checkpoints at steps 2 and 4, and dies right after the one at 4.
    const saved: number[] = [];
    const first = trainSelectorResumable(() => newSelector(preset, 4), data, STEPS, 8, 3, {
      dir: partialDir,
      every: 2,
      meta: meta(),
      onSaved: async ({ step, sha256 }) => {
        expect(sha256).toMatch(/^[0-9a-f]{64}$/);
        saved.push(step);
        if (step === 4) throw new Crash();
      },
    });
    await expect(first).rejects.toBeInstanceOf(Crash);
    expect(saved).toEqual([2, 4]);
    expect(latestPartial(partialDir)?.step).toBe(4);

    const before = tf.memory().numTensors;
    const resumed = await trainSelectorResumable(() => { throw new Error('a resumed run must not start from scratch'); }, data, STEPS, 8, 3, { dir: partialDir, every: 2, meta: meta(), onSaved: async ({ step }) => void saved.push(step) });
    expect(resumed.resumedFrom).toBe(4);
    expect(saved).toEqual([2, 4, 6]);
    expect(resumed.loss).toBeCloseTo(plainLoss, 6);
    expect(maxDifference(plain.members, resumed.selector.members)).toBeLessThan(1e-4);
    // No tensor leaks from loading and restoring: only the returned selector's own variables and moments.
    resumed.selector.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('a policy run asked to stop saves where it is, and resumed there matches an uninterrupted one (loss, mean reward, weights)', async () => {
    const plain = newPolicy(preset, text, 5);
    const plainResult = trainPolicy(plain, data, 1, undefined, STEPS, 4, 3);
    const partialDir = path.join(dir, 'policy-x.partial');
    let steps = 0;
    const saved: number[] = [];
    const stopping = trainPolicyResumable(() => newPolicy(preset, text, 5), data, 1, undefined, STEPS, 4, 3, {
      dir: partialDir,
      every: 3,
      meta: meta(),
      onSaved: async ({ step }) => void saved.push(step),
      shouldStop: () => ++steps >= 5,
    });
    await expect(stopping).rejects.toEqual(new TrainingStopped(5));
    expect(saved).toEqual([3, 5]);
    const resumed = await trainPolicyResumable(() => newPolicy(preset, text, 5), data, 1, undefined, STEPS, 4, 3, { dir: partialDir, every: 3, meta: meta() });
    expect(resumed.resumedFrom).toBe(5);
    expect(resumed.samples).toBe(plainResult.samples);
    expect(resumed.loss).toBeCloseTo(plainResult.loss, 6);
    expect(resumed.meanReward).toBeCloseTo(plainResult.meanReward, 6);
    expect(maxDifference([plain.store], [resumed.policy.store])).toBeLessThan(1e-4);
    resumed.policy.dispose();
    plain.dispose();
  });
});
