import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@forge/ml';
import { mean } from '@forge/metrics';
import { judgeImage } from '@forge/phantom';
import { distributionMetrics } from './evaluation';
import { sampleImages } from './generation';
import type { Pixels } from './pixels';
import { LOOP_PRESETS, LoopPreset } from './presets';
import { pretrainGenerator, pretrainTextEncoder, trainFundusEncoder } from './training';
import { renderWorld } from './world';

// Long (minutes, not seconds): it trains the demo preset's DiT for real, hence the int tier.

/** The demo preset's models and sampling, with a shorter pretraining that still learns fundus structure. */
const PRESET: LoopPreset = { ...LOOP_PRESETS.demo, generator: { ...LOOP_PRESETS.demo.generator, pretrainSteps: 450 } };
const UNTRAINED: LoopPreset = { ...PRESET, generator: { ...PRESET.generator, pretrainSteps: 0 } };

function meanJudgeQuality(images: readonly Pixels[], prompts: readonly string[]): number {
  return mean(images.map((img, i) => judgeImage(img, prompts[i]).quality.quality));
}

/** n images of one fill, or of independent uniform bytes when no fill is given. */
function flatOrNoise(n: number, size: number, fill?: number, seed = 1): Pixels[] {
  let s = seed;
  const byte = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24); // a fixed LCG: the same noise every run
  return Array.from({ length: n }, () => ({ rgb: Uint8ClampedArray.from({ length: size * size * 3 }, () => fill ?? byte()), width: size, height: size }));
}

describe('generator quality on the demo preset (32 px phantoms)', () => {
  let dir: string;

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-generator-quality-'));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('samples that the judge rates well above noise and blank images, closer to real held-out phantoms in FD-fundus than the untrained model', async () => {
    const world = await renderWorld(PRESET, dir);
    const real = { pixels: world.train.map((r) => r.pixels), captions: world.train.map((r) => r.caption) };
    const heldOut = world.heldOut.map((h) => h.pixels);
    const prompts = world.heldOut.map((h) => h.caption);
    const seed = PRESET.evaluation.seed;

    // The seeds the loop uses for each model (text 1, generator 2, fundus encoder 3).
    const { text } = pretrainTextEncoder(PRESET, real.captions, 1);
    const started = Date.now();
    const { generator: trained, loss } = pretrainGenerator(PRESET, text, real, 2);
    const trainSeconds = (Date.now() - started) / 1000;
    const { generator: untrained } = pretrainGenerator(UNTRAINED, text, real, 2);
    const { encoder } = trainFundusEncoder(PRESET, { pixels: world.train.map((r) => r.pixels), diagnoses: world.train.map((r) => r.labels.diagnosis) }, 3);

    const samples = sampleImages(PRESET, trained, prompts, seed);
    const untrainedSamples = sampleImages(UNTRAINED, untrained, prompts, seed);
    const size = PRESET.size;
    const quality = {
      samples: meanJudgeQuality(samples, prompts),
      untrained: meanJudgeQuality(untrainedSamples, prompts),
      noise: meanJudgeQuality(flatOrNoise(prompts.length, size), prompts),
      black: meanJudgeQuality(flatOrNoise(prompts.length, size, 0), prompts),
      grey: meanJudgeQuality(flatOrNoise(prompts.length, size, 128), prompts),
      real: meanJudgeQuality(heldOut, prompts),
    };
    const fd = {
      trained: distributionMetrics(encoder, samples, heldOut),
      untrained: distributionMetrics(encoder, untrainedSamples, heldOut),
      // what two real sets of this size score: the floor FD-fundus can reach here
      realTrain: distributionMetrics(encoder, real.pixels.slice(0, heldOut.length), heldOut),
    };
    console.log(
      [
        `generator ${PRESET.generator.pretrainSteps} steps (batch ${PRESET.generator.batch}) in ${trainSeconds.toFixed(0)} s, final loss ${loss.toFixed(4)}`,
        `judge quality (mean of ${prompts.length}): samples ${quality.samples.toFixed(3)}, untrained ${quality.untrained.toFixed(3)}, uniform noise ${quality.noise.toFixed(3)}, black ${quality.black.toFixed(3)}, grey ${quality.grey.toFixed(3)}, real held-out ${quality.real.toFixed(3)}`,
        `FD-fundus to real held-out: trained ${fd.trained.fdFundus.toFixed(3)}, untrained ${fd.untrained.fdFundus.toFixed(3)}, real training images ${fd.realTrain.fdFundus.toFixed(3)}`,
        `KID: trained ${fd.trained.kid.toFixed(4)}, untrained ${fd.untrained.kid.toFixed(4)}, real ${fd.realTrain.kid.toFixed(4)}`,
      ].join('\n'),
    );

    const worstBaseline = Math.max(quality.noise, quality.black, quality.grey);
    expect(quality.samples).toBeGreaterThan(worstBaseline + 0.3);
    expect(quality.samples).toBeGreaterThan(quality.untrained + 0.3);
    expect(fd.trained.fdFundus).toBeLessThan(fd.untrained.fdFundus / 2);

    for (const m of [trained, untrained, text, encoder]) m.dispose();
  }, 400_000);
});
