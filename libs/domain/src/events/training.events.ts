import type { Event } from '../shared/event';
import type { ModelKind } from '../shared/streams';

/** Named numbers: loss, ECE, FD-fundus… */
export type Metrics = Record<string, number>;

/** Training configuration as plain JSON (preset, steps, learning rate, backend…). */
export type TrainingConfig = Record<string, string | number | boolean | null>;

// ---- training runs: stream `run-<runId>` -------------------------------------------------

/** `runId` is deterministic (hash of model and upToPosition), so a redelivered trigger is the same run. */
export type RetrainingTriggered = Event<
  'RetrainingTriggered',
  /** `threshold`: the count of new ratings that triggered the run, when a threshold did (absent in older events). */
  { runId: string; model: ModelKind; upToPosition: number; newRatings: number; threshold?: number }
>;

export type TrainingStarted = Event<
  'TrainingStarted',
  { runId: string; model: ModelKind; config: TrainingConfig; dataUpToPosition: number; backend: string }
>;

export type CheckpointSaved = Event<'CheckpointSaved', { runId: string; step: number; sha256: string; metrics: Metrics }>;

export type TrainingCompleted = Event<
  'TrainingCompleted',
  { runId: string; model: ModelKind; version: string; sha256: string; steps: number; metrics: Metrics }
>;

export type TrainingFailed = Event<'TrainingFailed', { runId: string; model: ModelKind; error: string; retryable: boolean }>;

export type TrainingRunEvent = RetrainingTriggered | TrainingStarted | CheckpointSaved | TrainingCompleted | TrainingFailed;

// ---- model versions: stream `model-<kind>` -----------------------------------------------

/** A new selector version, registered as a candidate. */
export type SelectorTrained = Event<
  'SelectorTrained',
  { version: string; runId: string | null; parentVersion: string | null; sha256: string; metrics: Metrics }
>;

/** A new policy version after a REINFORCE stage; a candidate. */
export type PolicyUpdated = Event<
  'PolicyUpdated',
  {
    version: string;
    runId: string | null;
    parentVersion: string | null;
    sha256: string;
    stage: 1 | 2;
    meanReward: number;
    loss: number;
    samples: number;
  }
>;

/** A new generator version after reward-weighted fine-tuning or DDPO; a candidate. */
export type GeneratorRefined = Event<
  'GeneratorRefined',
  {
    version: string;
    runId: string | null;
    parentVersion: string | null;
    sha256: string;
    method: string;
    rewardBefore: number;
    rewardAfter: number;
  }
>;

/** `passed` is decided by the evaluator against its thresholds, recorded with the metrics. */
export type EvaluationCompleted = Event<
  'EvaluationCompleted',
  { model: ModelKind; modelVersion: string; metrics: Metrics; passed: boolean; notes: string }
>;

/** The promoted version serves; the one it replaces (if any) stops serving. One at a time per kind. */
export type ModelVersionPromoted = Event<
  'ModelVersionPromoted',
  { model: ModelKind; version: string; replaces: string | null }
>;

export type ModelVersionRejected = Event<'ModelVersionRejected', { model: ModelKind; version: string; reason: string }>;

export type ModelVersionEvent =
  | SelectorTrained
  | PolicyUpdated
  | GeneratorRefined
  | EvaluationCompleted
  | ModelVersionPromoted
  | ModelVersionRejected;
