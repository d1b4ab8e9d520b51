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
}

export interface RunOutcome extends TrainedVersion {
  runId: string;
  /** False when the run had completed before (a restart): the caller loads the saved version. */
  trainedNow: boolean;
}

/**
 * One training run, recorded as RetrainingTriggered → TrainingStarted → CheckpointSaved →
 * TrainingCompleted on `run-<id>`. A run that completed earlier is not trained again; a run that
 * was interrupted starts over under the same id (the decider accepts the same config again).
 */
export async function trainingRun(recorder: Recorder, request: RunRequest, train: () => Promise<TrainedVersion>): Promise<RunOutcome> {
  const runId = retrainingRunId(request.model, request.upToPosition);
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
  const trained = await train();
  await handle(recorder, stream, trainingRunDecider, { type: 'SaveCheckpoint', data: { runId, step: Math.max(1, trained.steps), sha256: trained.sha256, metrics: trained.metrics }, metadata: meta(`checkpoint ${trained.version} saved`) });
  await handle(recorder, stream, trainingRunDecider, { type: 'CompleteTraining', data: { runId, version: trained.version, sha256: trained.sha256, steps: trained.steps, metrics: trained.metrics }, metadata: meta(`version ${trained.version} trained`) });
  return { runId, ...trained, trainedNow: true };
}
