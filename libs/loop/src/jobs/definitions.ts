import { z } from 'zod';
import type { ModelKind } from '@forge/domain';
import { deterministicUuid, RETRAIN_JOB_NAMES, retrainJobPayload, type JobDefinition } from '@forge/messaging';

// The loop's jobs: the names the retrain trigger enqueues, with its payload. What a job trains on is
// read from the record up to `upToPosition`, so the payload stays small and every attempt sees the same data.

export const trainJobPayload = retrainJobPayload.extend({
  /** Training steps; default the preset's retraining steps (an operator may ask for a longer run). */
  steps: z.number().int().min(1).max(1_000_000).optional(),
});

export type TrainJobPayload = z.infer<typeof trainJobPayload>;

/** `train-selector`, `train-policy` or `refine-generator`: the payload must name the model the job trains. */
export function trainJobDefinition(model: ModelKind): JobDefinition<TrainJobPayload> {
  return {
    name: RETRAIN_JOB_NAMES[model],
    schema: trainJobPayload.refine((p) => p.model === model, { message: `job ${RETRAIN_JOB_NAMES[model]} trains the ${model}`, path: ['model'] }),
  };
}

/** The version a run produces: named after its run, so every attempt of the run saves the same version. */
export function versionOfRun(model: ModelKind, payload: Pick<TrainJobPayload, 'runId' | 'upToPosition'>): string {
  return `${model}-p${payload.upToPosition}-${payload.runId.slice(0, 8)}`;
}

export const GENERATE_JOB = 'generate';
export const SCORE_JOB = 'score';
export const EVALUATE_JOB = 'evaluate';

export const generateJobPayload = z.object({
  generatorVersion: z.string().min(1).max(200),
  /** Names the batch: image ids derive from it, so a repeated job finds the images it made instead of sampling again. */
  batch: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (1–100)'),
  prompts: z.array(z.string().min(1).max(5000)).min(1).max(1024),
  seed: z.number().int().nonnegative(),
});

export type GenerateJobPayload = z.infer<typeof generateJobPayload>;

export const scoreJobPayload = z.object({
  selectorVersion: z.string().min(1).max(200),
  policyVersion: z.string().min(1).max(200),
  /** Generated images (registered on their own `image-<id>` stream). */
  imageIds: z.array(z.string().min(1).max(200)).min(1).max(4096),
});

export type ScoreJobPayload = z.infer<typeof scoreJobPayload>;

export const generateJobDefinition: JobDefinition<GenerateJobPayload> = { name: GENERATE_JOB, schema: generateJobPayload };
export const scoreJobDefinition: JobDefinition<ScoreJobPayload> = { name: SCORE_JOB, schema: scoreJobPayload };

export const evaluateJobPayload = z.object({
  /** A generator version registered on `model-generator` (a refined candidate, or the first version). */
  generatorVersion: z.string().min(1).max(200),
});

export type EvaluateJobPayload = z.infer<typeof evaluateJobPayload>;

export const evaluateJobDefinition: JobDefinition<EvaluateJobPayload> = { name: EVALUATE_JOB, schema: evaluateJobPayload };

/** One evaluation per generator version: the id refine-generator enqueues it with, so a repeated refinement adds no second job. */
export function evaluateJobId(generatorVersion: string): string {
  return deterministicUuid('evaluate', 'generator', generatorVersion);
}

export const ROUTE_JOB = 'route';

const imageIds = (max: number) => z.array(z.string().min(1).max(200)).max(max);

export const routeJobPayload = z
  .object({
    /** Names the round: task ids derive from it, so a repeated job creates no second task for an image. */
    round: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (1–100)'),
    /** The selector whose recorded scores (mean and ensemble spread) rank the images. */
    selectorVersion: z.string().min(1).max(200),
    /** Generated images the selector has scored (the score job ran). */
    imageIds: imageIds(4096).min(1),
    /** Real training images with known answers; a share of the budget goes to them. */
    goldImageIds: imageIds(1024).default([]),
    /** Label tasks to create. */
    budget: z.number().int().min(1).max(4096),
    ratersPerTask: z.number().int().min(1).max(10).default(2),
    /** Most raters a disagreement can bring in. */
    raterCap: z.number().int().min(1).max(20).default(3),
    strategy: z.enum(['uncertainty', 'random']).default('uncertainty'),
  })
  .refine((p) => p.raterCap >= p.ratersPerTask, { message: 'raterCap must be at least ratersPerTask', path: ['raterCap'] });

export type RouteJobPayload = z.infer<typeof routeJobPayload>;

export const routeJobDefinition: JobDefinition<RouteJobPayload> = { name: ROUTE_JOB, schema: routeJobPayload };
