import * as fs from 'node:fs';
import * as path from 'node:path';
import { FundusEncoder, Generator } from '@forge/ml';
import { frechetDistance, imageQuality, imageQualityNames, inceptionScore, kernelInceptionDistance, mean, meanCI } from '@forge/metrics';
import { judgeImage } from '@forge/phantom';
import { checkpointDir } from './checkpoints';
import { sampleImages } from './generation';
import type { GeneratorEvaluation } from './gate';
import type { LoopPreset } from './presets';
import { inChunks, Pixels } from './pixels';
import type { Progress } from './training';

/** What one generator version scored on the fixed held-out prompts and seeds. */
export interface EvaluationRecord {
  version: string;
  prompts: string[];
  seed: number;
  judgeQuality: number[];
  judgeMatch: number[];
  fdFundus: number;
  kid: number;
  inceptionScore: number;
  /** Mean of the five image-quality measures over the generated images. */
  imageQuality: Record<string, number>;
}

/** Something the generator is refined towards: the selector, or (in tests) a deliberately bad stand-in. */
export interface RewardModel {
  version: string;
  score(images: readonly Pixels[]): number[];
}

/** A held-out real image: its caption is an evaluation prompt, its pixels the FD-fundus reference. */
export interface HeldOutImage {
  caption: string;
  pixels: Pixels;
}

const EVALUATION_FILE = 'evaluation.json';
const IMAGES_FILE = 'evaluation-images.bin';

function features(encoder: FundusEncoder, images: readonly Pixels[]) {
  const described = inChunks(images, 32, (batch) => {
    const d = encoder.describe(batch);
    return d.features.map((f, i) => ({ f, p: d.probabilities[i] }));
  });
  return { features: described.map((d) => d.f), probabilities: described.map((d) => d.p) };
}

export function meanImageQuality(images: readonly Pixels[]): Record<string, number> {
  const all = images.map((p) => imageQuality({ width: p.width, height: p.height, data: new Uint8Array(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength) }));
  return Object.fromEntries(imageQualityNames.map((n) => [n, mean(all.map((q) => q[n]))]));
}

/** FD-fundus, KID and IS in the frozen encoder's space, against the real held-out images. */
export function distributionMetrics(encoder: FundusEncoder, generated: readonly Pixels[], real: readonly Pixels[]): { fdFundus: number; kid: number; inceptionScore: number } {
  const g = features(encoder, generated);
  const r = features(encoder, real);
  const subsetSize = Math.min(g.features.length, r.features.length);
  return {
    fdFundus: frechetDistance(g.features, r.features),
    kid: kernelInceptionDistance(g.features, r.features, { subsets: 20, subsetSize, seed: 0 }).mean,
    inceptionScore: inceptionScore(g.probabilities, 1).mean,
  };
}

/**
 * Samples the held-out prompts with the fixed seed, asks the held-out judge about each image and
 * measures the distance to real images. Cached next to the checkpoint, with the images, so a
 * restart or a later comparison re-reads instead of re-sampling.
 */
export function evaluateGenerator(dataDir: string, preset: LoopPreset, generator: Generator, version: string, world: { heldOut: readonly HeldOutImage[] }, encoder: FundusEncoder, progress?: Progress): { record: EvaluationRecord; images: Pixels[] } {
  const cached = readEvaluation(dataDir, version);
  if (cached) return cached;
  const prompts = world.heldOut.map((h) => h.caption);
  const seed = preset.evaluation.seed;
  const images = sampleImages(preset, generator, prompts, seed, progress);
  const judged = images.map((img, i) => judgeImage(img, prompts[i]));
  const record: EvaluationRecord = {
    version,
    prompts,
    seed,
    judgeQuality: judged.map((j) => j.quality.quality),
    judgeMatch: judged.map((j) => j.match),
    ...distributionMetrics(encoder, images, world.heldOut.map((h) => h.pixels)),
    imageQuality: meanImageQuality(images),
  };
  const dir = checkpointDir(dataDir, 'generator', version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, IMAGES_FILE), Buffer.concat(images.map((p) => Buffer.from(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength))));
  fs.writeFileSync(path.join(dir, EVALUATION_FILE), JSON.stringify(record, null, 1));
  return { record, images };
}

export function readEvaluation(dataDir: string, version: string): { record: EvaluationRecord; images: Pixels[] } | undefined {
  const dir = checkpointDir(dataDir, 'generator', version);
  const file = path.join(dir, EVALUATION_FILE);
  if (!fs.existsSync(file) || !fs.existsSync(path.join(dir, IMAGES_FILE))) return undefined;
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as EvaluationRecord;
  const bytes = fs.readFileSync(path.join(dir, IMAGES_FILE));
  const n = record.prompts.length;
  const per = bytes.length / n;
  const side = Math.round(Math.sqrt(per / 3));
  const images = Array.from({ length: n }, (_, i) => ({ rgb: new Uint8ClampedArray(bytes.subarray(i * per, (i + 1) * per)), width: side, height: side }));
  return { record, images };
}

/**
 * The figures an `EvaluationCompleted` records: judge quality and match with their 95% intervals,
 * FD-fundus, KID, IS and the five image-quality measures (prefixed `iq.`) of the generated images.
 */
export function evaluationMetrics(e: EvaluationRecord): Record<string, number> {
  const q = meanCI(e.judgeQuality);
  const m = meanCI(e.judgeMatch);
  return {
    judgeQuality: q.estimate,
    judgeQualityLow: q.low,
    judgeQualityHigh: q.high,
    judgeMatch: m.estimate,
    judgeMatchLow: m.low,
    judgeMatchHigh: m.high,
    fdFundus: e.fdFundus,
    kid: e.kid,
    inceptionScore: e.inceptionScore,
    samples: e.judgeQuality.length,
    ...Object.fromEntries(Object.entries(e.imageQuality).map(([name, v]) => [`iq.${name}`, v])),
  };
}

/** The gate's input: judge figures per sample plus the reward model's view of the same images. */
export function gateInput(evaluation: { record: EvaluationRecord; images: Pixels[] }, reward: RewardModel): GeneratorEvaluation {
  return {
    version: evaluation.record.version,
    judgeQuality: evaluation.record.judgeQuality,
    judgeMatch: evaluation.record.judgeMatch,
    selectorReward: reward.score(evaluation.images),
    fdFundus: evaluation.record.fdFundus,
  };
}
