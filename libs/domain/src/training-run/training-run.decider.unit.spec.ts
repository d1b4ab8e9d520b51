import type { TrainingRunEvent } from '../events';
import { specification } from '../testing/specification';
import { at, SHA_A, SHA_B, written } from '../testing/fixtures';
import { retrainingRunId, trainingRunDecider } from './training-run.decider';

const spec = specification(trainingRunDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const m = written(T0);
const runId = retrainingRunId('selector', 120);
const trigger = (upToPosition = 120) => ({
  type: 'TriggerRetraining' as const,
  data: { runId, model: 'selector' as const, upToPosition, newRatings: 50 },
  metadata: at(T0),
});
const triggered: TrainingRunEvent = { type: 'RetrainingTriggered', data: { runId, model: 'selector', upToPosition: 120, newRatings: 50 }, metadata: m };
const config = { preset: 'tiny', steps: 100 };
const start = { type: 'StartTraining' as const, data: { runId, model: 'selector' as const, config, dataUpToPosition: 120, backend: 'cpu' }, metadata: at(T0) };
const started: TrainingRunEvent = { type: 'TrainingStarted', data: start.data, metadata: m };
const checkpoint = (step: number, sha256 = SHA_A) => ({ type: 'SaveCheckpoint' as const, data: { runId, step, sha256, metrics: { loss: 0.5 } }, metadata: at(T0) });
const saved = (step: number): TrainingRunEvent => ({ type: 'CheckpointSaved', data: { runId, step, sha256: SHA_A, metrics: { loss: 0.5 } }, metadata: m });
const complete = { type: 'CompleteTraining' as const, data: { runId, version: 'sel-2', sha256: SHA_B, steps: 100, metrics: { loss: 0.2 } }, metadata: at(T0) };

describe('training run decider', () => {
  it('derives the same run id from the same model and position', () => {
    expect(retrainingRunId('selector', 120)).toBe(runId);
    expect(retrainingRunId('selector', 121)).not.toBe(runId);
  });

  it('triggers once; a redelivered trigger is no event; other data under the id is a conflict', () => {
    spec.given([]).when(trigger()).then([triggered]);
    spec.given([triggered]).when(trigger()).then([]);
    spec.given([triggered]).when(trigger(121)).thenThrows('CONFLICT');
  });

  it('records the threshold that was crossed when the trigger names one, and refuses one below 1', () => {
    const withThreshold = { ...trigger(), data: { ...trigger().data, threshold: 50 } };
    spec.given([]).when(withThreshold).then([{ ...triggered, data: { ...triggered.data, threshold: 50 } }]);
    spec.given([]).when({ ...withThreshold, data: { ...withThreshold.data, threshold: 0 } }).thenThrows('INVALID_INPUT');
  });

  it('goes triggered → started → checkpoints → completed', () => {
    spec.given([triggered]).when(start).then([started]);
    spec.given([triggered, started]).when(start).then([]); // resumed worker
    spec.given([triggered, started]).when(checkpoint(10)).then([saved(10)]);
    spec.given([triggered, started, saved(10)]).when(checkpoint(10)).then([]);
    spec.given([triggered, started, saved(10)]).when(checkpoint(5)).thenThrows('FORBIDDEN_TRANSITION');
    spec.given([triggered, started, saved(10)]).when(complete).then([
      { type: 'TrainingCompleted', data: { runId, model: 'selector', version: 'sel-2', sha256: SHA_B, steps: 100, metrics: { loss: 0.2 } }, metadata: m },
    ]);
  });

  it('refuses checkpoints before start and anything after completion', () => {
    spec.given([triggered]).when(checkpoint(1)).thenThrows('FORBIDDEN_TRANSITION');
    spec.given([]).when(checkpoint(1)).thenThrows('NOT_FOUND');
    const done = trainingRunDecider.decide(complete, [triggered, started].reduce(trainingRunDecider.evolve, trainingRunDecider.initialState()));
    spec.given([triggered, started, ...done]).when(checkpoint(200)).thenThrows('FORBIDDEN_TRANSITION');
    spec.given([triggered, started, ...done]).when(start).thenThrows('FORBIDDEN_TRANSITION');
    spec.given([triggered, started, ...done]).when({ type: 'FailTraining', data: { runId, error: 'x', retryable: false }, metadata: at(T0) }).thenThrows('FORBIDDEN_TRANSITION');
  });

  it('fails, and restarts only when the failure was retryable', () => {
    const failed = (retryable: boolean): TrainingRunEvent => ({ type: 'TrainingFailed', data: { runId, model: 'selector', error: 'OOM', retryable }, metadata: m });
    spec.given([triggered, started]).when({ type: 'FailTraining', data: { runId, error: 'OOM', retryable: true }, metadata: at(T0) }).then([failed(true)]);
    spec.given([triggered, started, failed(true)]).when(start).then([started]);
    spec.given([triggered, started, failed(false)]).when(start).thenThrows('FORBIDDEN_TRANSITION');
  });
});
