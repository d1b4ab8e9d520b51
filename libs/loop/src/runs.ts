import { backendInfo } from '@forge/ml';
import { retrainingRunId, streams, trainingRunDecider, type Metrics, type ModelKind, type TrainingConfig } from '@forge/domain';
import { handle, loadState, Recorder, systemMetadata } from './record';

export interface TrainedVersion {
  version: string;
  sha256: string;
  steps: number;
  metrics: Metrics;
}

export interface RunRequest {
  model: ModelKind;
  /** Global position of the last event whose data the run uses: with the model, it names the run. */
  upToPosition: number;
  newRatings: number;
  config: TrainingConfig;
  reason: string;
  /** The run's id when someone else named it (the retrain trigger's job); default retrainingRunId(model, upToPosition). */
  runId?: string;
}

/** What the training function may do with the run while it trains. */
export interface RunContext {
  runId: string;
  /** Step of the last CheckpointSaved already recorded (0 when none): above 0, an earlier attempt got that far. */
  recordedStep: number;
  /** Records CheckpointSaved for a partial checkpoint; a step the record already has (or passed) is skipped. */
  recordCheckpoint(step: number, sha256: string, metrics: Metrics): Promise<void>;
}

export interface RunOutcome extends TrainedVersion {
  runId: string;
  /** False when the run had completed before (a restart): the caller loads the saved version. */
  trainedNow: boolean;
}

/**
 * One training run, recorded as RetrainingTriggered → TrainingStarted → CheckpointSaved →
 * TrainingCompleted on `run-<id>`. A run that completed earlier is not trained again; a run that
 * was interrupted continues under the same id (the decider accepts the same config again without a
 * second TrainingStarted), from its last partial checkpoint when the training function keeps them.
 */
export async function trainingRun(recorder: Recorder, request: RunRequest, train: (run: RunContext) => Promise<TrainedVersion>): Promise<RunOutcome> {
  const runId = request.runId ?? retrainingRunId(request.model, request.upToPosition);
  const stream = streams.run(runId);
  const { state, events } = await loadState(recorder, stream, trainingRunDecider);
  if (state.status === 'Completed') {
    const done = events.find((e) => e.type === 'TrainingCompleted')!.data as unknown as TrainedVersion;
    return { runId, version: done.version, sha256: done.sha256, steps: done.steps, metrics: done.metrics, trainedNow: false };
  }
  const meta = (why: string) => systemMetadata(recorder, `${request.reason}: ${why}`);
  await handle(recorder, stream, trainingRunDecider, { type: 'TriggerRetraining', data: { runId, model: request.model, upToPosition: request.upToPosition, newRatings: request.newRatings }, metadata: meta('enough new data') });
  const backend = backendInfo();
  await handle(recorder, stream, trainingRunDecider, {
    type: 'StartTraining',
    data: { runId, model: request.model, config: request.config, dataUpToPosition: request.upToPosition, backend: `${backend.name} (${backend.version}, ${backend.threads} threads)` },
    metadata: meta('training starts'),
  });
  const lastStep = async () => {
    const { state: now } = await loadState(recorder, stream, trainingRunDecider);
    return now.status === 'Running' ? now.lastStep : 0;
  };
  const trained = await train({
    runId,
    recordedStep: await lastStep(),
    recordCheckpoint: async (step, sha256, metrics) => {
      if (step <= (await lastStep())) return;
      await handle(recorder, stream, trainingRunDecider, { type: 'SaveCheckpoint', data: { runId, step, sha256, metrics }, metadata: meta(`partial checkpoint at step ${step}`) });
    },
  });
  await handle(recorder, stream, trainingRunDecider, { type: 'SaveCheckpoint', data: { runId, step: Math.max(1, trained.steps), sha256: trained.sha256, metrics: trained.metrics }, metadata: meta(`checkpoint ${trained.version} saved`) });
  await handle(recorder, stream, trainingRunDecider, { type: 'CompleteTraining', data: { runId, version: trained.version, sha256: trained.sha256, steps: trained.steps, metrics: trained.metrics }, metadata: meta(`version ${trained.version} trained`) });
  return { runId, ...trained, trainedNow: true };
}

/**
 * Records that a run failed: `retryable` false when trying again cannot help (its data is missing or
 * invalid). Nothing is recorded for a run that already completed or failed.
 */
export async function failTrainingRun(recorder: Recorder, runId: string, error: string, retryable: boolean, reason: string): Promise<void> {
  const stream = streams.run(runId);
  const { state } = await loadState(recorder, stream, trainingRunDecider);
  if (state.status !== 'Triggered' && state.status !== 'Running') return;
  await handle(recorder, stream, trainingRunDecider, { type: 'FailTraining', data: { runId, error: error.slice(0, 5000), retryable }, metadata: systemMetadata(recorder, reason) });
}
