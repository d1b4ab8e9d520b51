import type { ModelKind } from '@forge/domain';
import { deterministicUuid } from '../deterministic-id';

// Pure counting: given a model's counter and one new rating, the next counter and maybe a trigger.

export interface RatingCounter {
  model: ModelKind;
  /** Ratings counted since the model's last trigger. */
  ratingsSinceTraining: number;
  /** Highest global position among those ratings. */
  maxPosition: number;
}

export interface TriggerDecision {
  /** Same for every delivery of the same crossing: uuid from sha256(model, upToPosition). */
  runId: string;
  model: ModelKind;
  upToPosition: number;
  newRatings: number;
  /** The threshold the count crossed (configuration at the time, recorded for auditors). */
  threshold: number;
}

export function emptyCounter(model: ModelKind): RatingCounter {
  return { model, ratingsSinceTraining: 0, maxPosition: 0 };
}

export function runIdFor(model: ModelKind, upToPosition: number): string {
  return deterministicUuid('retraining', model, upToPosition);
}

export function countRating(
  counter: RatingCounter,
  position: number,
  threshold: number,
): { counter: RatingCounter; trigger?: TriggerDecision } {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`retrain threshold must be a positive integer, got ${threshold}`);
  const next: RatingCounter = {
    model: counter.model,
    ratingsSinceTraining: counter.ratingsSinceTraining + 1,
    maxPosition: Math.max(counter.maxPosition, position),
  };
  if (next.ratingsSinceTraining < threshold) return { counter: next };
  const trigger: TriggerDecision = {
    runId: runIdFor(counter.model, next.maxPosition),
    model: counter.model,
    upToPosition: next.maxPosition,
    newRatings: next.ratingsSinceTraining,
    threshold,
  };
  return { counter: emptyCounter(counter.model), trigger };
}
