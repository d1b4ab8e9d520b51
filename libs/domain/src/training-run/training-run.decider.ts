import type { Metrics, TrainingConfig, TrainingRunEvent } from '../events';
import type { Decider } from '../shared/decider';
import { canonicalJson } from '../shared/canonical-json';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { invalid, isPlainObject, requireMetrics, requireInt, requireOneOf, requireSha256, requireText } from '../shared/guards';
import { MODEL_KINDS, type ModelKind } from '../shared/streams';

/**
 * The id of the run a trigger starts: the same model and data position always give the same id,
 * so a redelivered trigger or a restarted trigger process lands on the same run stream.
 */
export function retrainingRunId(model: ModelKind, upToPosition: number): string {
  return `${model}-upto-${upToPosition}`;
}

export type TriggerRetraining = Command<'TriggerRetraining', { runId: string; model: ModelKind; upToPosition: number; newRatings: number; threshold?: number }>;
export type StartTraining = Command<
  'StartTraining',
  { runId: string; model: ModelKind; config: TrainingConfig; dataUpToPosition: number; backend: string }
>;
export type SaveCheckpoint = Command<'SaveCheckpoint', { runId: string; step: number; sha256: string; metrics: Metrics }>;
export type CompleteTraining = Command<
  'CompleteTraining',
  { runId: string; version: string; sha256: string; steps: number; metrics: Metrics }
>;
export type FailTraining = Command<'FailTraining', { runId: string; error: string; retryable: boolean }>;

export type TrainingRunCommand = TriggerRetraining | StartTraining | SaveCheckpoint | CompleteTraining | FailTraining;

type RunFacts = { runId: string; model: ModelKind };
type Started = RunFacts & { configJson: string; lastStep: number; lastSha256: string | null };

export type TrainingRunState =
  | { status: 'Absent' }
  | (RunFacts & { status: 'Triggered'; upToPosition: number })
  | (Started & { status: 'Running' })
  | (Started & { status: 'Completed'; version: string })
  | (RunFacts & { status: 'Failed'; retryable: boolean });

function refuse(state: TrainingRunState, runId: string, what: string): never {
  if (state.status === 'Absent') throw new DomainError('NOT_FOUND', `training run ${runId} does not exist`, { runId });
  throw new DomainError('FORBIDDEN_TRANSITION', `training run ${runId} is ${state.status}; cannot ${what}`, { runId, status: state.status });
}

function decide(command: TrainingRunCommand, state: TrainingRunState): TrainingRunEvent[] {
  const metadata = eventMetadata(command);
  switch (command.type) {
    case 'TriggerRetraining': {
      const { runId, model, upToPosition, newRatings, threshold } = command.data;
      requireText('runId', runId, 200);
      requireOneOf('model', model, MODEL_KINDS);
      requireInt('upToPosition', upToPosition, 0);
      requireInt('newRatings', newRatings, 0);
      if (threshold !== undefined) requireInt('threshold', threshold, 1);
      if (state.status !== 'Absent') {
        const same = state.model === model && (state.status !== 'Triggered' || state.upToPosition === upToPosition);
        if (same) return []; // redelivery of the same trigger
        throw new DomainError('CONFLICT', `training run ${runId} exists for other data`, { runId });
      }
      return [{ type: 'RetrainingTriggered', data: { runId, model, upToPosition, newRatings, ...(threshold !== undefined ? { threshold } : {}) }, metadata }];
    }
    case 'StartTraining': {
      const { runId, model, config, dataUpToPosition, backend } = command.data;
      requireOneOf('model', model, MODEL_KINDS);
      if (!isPlainObject(config)) invalid('config', 'must be an object');
      requireInt('dataUpToPosition', dataUpToPosition, 0);
      requireText('backend', backend, 500); // the engine's description: tfjs build, GEMM provider, C kernels
      if (state.status !== 'Absent' && state.model !== model) invalid('model', `run ${runId} trains ${state.model}, not ${model}`);
      const resumable = state.status === 'Absent' || state.status === 'Triggered' || (state.status === 'Failed' && state.retryable);
      if (state.status === 'Running' && state.configJson === canonicalJson(config)) return []; // a worker resuming after a crash
      if (!resumable) refuse(state, runId, 'start');
      requireText('runId', runId, 200);
      return [{ type: 'TrainingStarted', data: { runId, model, config, dataUpToPosition, backend }, metadata }];
    }
    case 'SaveCheckpoint': {
      const { runId, step, sha256, metrics } = command.data;
      if (state.status !== 'Running') refuse(state, runId, 'save a checkpoint');
      requireInt('step', step, 1);
      requireSha256('sha256', sha256);
      requireMetrics('metrics', metrics);
      if (step === state.lastStep && sha256 === state.lastSha256) return [];
      if (step <= state.lastStep) {
        throw new DomainError('FORBIDDEN_TRANSITION', `checkpoint step ${step} is not after step ${state.lastStep}`, { runId, step, lastStep: state.lastStep });
      }
      return [{ type: 'CheckpointSaved', data: { runId, step, sha256, metrics }, metadata }];
    }
    case 'CompleteTraining': {
      const { runId, version, sha256, steps, metrics } = command.data;
      if (state.status === 'Completed' && state.version === version) return [];
      if (state.status !== 'Running') refuse(state, runId, 'complete');
      requireText('version', version, 200);
      requireSha256('sha256', sha256);
      requireInt('steps', steps, 0);
      requireMetrics('metrics', metrics);
      return [{ type: 'TrainingCompleted', data: { runId, model: state.model, version, sha256, steps, metrics }, metadata }];
    }
    case 'FailTraining': {
      const { runId, error, retryable } = command.data;
      if (state.status === 'Failed') return [];
      if (state.status !== 'Triggered' && state.status !== 'Running') refuse(state, runId, 'fail');
      requireText('error', error, 5000);
      if (typeof retryable !== 'boolean') invalid('retryable', 'must be true or false');
      return [{ type: 'TrainingFailed', data: { runId, model: state.model, error, retryable }, metadata }];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: TrainingRunState, event: TrainingRunEvent): TrainingRunState {
  switch (event.type) {
    case 'RetrainingTriggered':
      return { status: 'Triggered', runId: event.data.runId, model: event.data.model, upToPosition: event.data.upToPosition };
    case 'TrainingStarted':
      return {
        status: 'Running',
        runId: event.data.runId,
        model: event.data.model,
        configJson: canonicalJson(event.data.config),
        lastStep: 0,
        lastSha256: null,
      };
    case 'CheckpointSaved':
      return state.status === 'Running' ? { ...state, lastStep: event.data.step, lastSha256: event.data.sha256 } : state;
    case 'TrainingCompleted':
      return state.status === 'Running' ? { ...state, status: 'Completed', version: event.data.version } : state;
    case 'TrainingFailed':
      return { status: 'Failed', runId: event.data.runId, model: event.data.model, retryable: event.data.retryable };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const trainingRunDecider: Decider<TrainingRunState, TrainingRunCommand, TrainingRunEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Absent' }),
};
