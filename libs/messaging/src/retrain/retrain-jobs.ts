import { z } from 'zod';
import { MODEL_KINDS, type ModelKind } from '@forge/domain';
import type { JobDefinition } from '../jobs/port';

// The job each model's trigger enqueues; its processor belongs to the training loop.
export const RETRAIN_JOB_NAMES: Record<ModelKind, string> = {
  selector: 'train-selector',
  policy: 'train-policy',
  generator: 'refine-generator',
};

export const retrainJobPayload = z.object({
  runId: z.string().uuid(),
  model: z.enum(MODEL_KINDS as [ModelKind, ...ModelKind[]]),
  upToPosition: z.number().int().nonnegative(),
  newRatings: z.number().int().positive(),
});

export type RetrainJobPayload = z.infer<typeof retrainJobPayload>;

export function retrainJobDefinition(model: ModelKind): JobDefinition<RetrainJobPayload> {
  return { name: RETRAIN_JOB_NAMES[model], schema: retrainJobPayload };
}
