import type { Metrics, ModelVersionEvent } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { invalid, requireFinite, requireMetrics, requireInt, requireOneOf, requireSha256, requireString, requireText } from '../shared/guards';
import { MODEL_KINDS, type ModelKind } from '../shared/streams';

type CandidateBase = { version: string; runId: string | null; parentVersion: string | null; sha256: string };

/** A trained version enters as a candidate; the details depend on the kind of model. */
export type RegisterCandidate = Command<
  'RegisterCandidate',
  | ({ model: 'selector'; metrics: Metrics } & CandidateBase)
  | ({ model: 'policy'; stage: 1 | 2; meanReward: number; loss: number; samples: number } & CandidateBase)
  | ({ model: 'generator'; method: string; rewardBefore: number; rewardAfter: number } & CandidateBase)
>;
export type RecordEvaluation = Command<
  'RecordEvaluation',
  { model: ModelKind; version: string; metrics: Metrics; passed: boolean; notes: string }
>;
export type PromoteVersion = Command<'PromoteVersion', { model: ModelKind; version: string }>;
export type RejectVersion = Command<'RejectVersion', { model: ModelKind; version: string; reason: string }>;

export type ModelVersionCommand = RegisterCandidate | RecordEvaluation | PromoteVersion | RejectVersion;

/** One version's life: Candidate → Evaluated → Promoted → Retired (replaced), or Rejected. */
export type VersionState =
  | { status: 'Candidate'; sha256: string; parentVersion: string | null }
  | { status: 'Evaluated'; sha256: string; parentVersion: string | null; passed: boolean; metrics: Metrics }
  | { status: 'Promoted'; sha256: string; parentVersion: string | null; metrics: Metrics }
  | { status: 'Retired'; sha256: string; parentVersion: string | null; metrics: Metrics }
  | { status: 'Rejected'; sha256: string; parentVersion: string | null; reason: string };

/** Stream `model-<kind>`: every version of one kind, and which one serves. */
export type ModelVersionState =
  | { status: 'Empty' }
  | { status: 'Active'; model: ModelKind; versions: Record<string, VersionState>; promoted: string | null };

function requireVersion(state: ModelVersionState, model: ModelKind, version: string): VersionState {
  const found = state.status === 'Active' ? state.versions[version] : undefined;
  if (!found) throw new DomainError('NOT_FOUND', `${model} version ${version} does not exist`, { model, version });
  return found;
}

function requireKind(state: ModelVersionState, model: unknown): ModelKind {
  const kind = requireOneOf('model', model, MODEL_KINDS);
  if (state.status === 'Active' && state.model !== kind) invalid('model', `this stream holds ${state.model} versions, not ${kind}`);
  return kind;
}

function decide(command: ModelVersionCommand, state: ModelVersionState): ModelVersionEvent[] {
  const metadata = eventMetadata(command);
  switch (command.type) {
    case 'RegisterCandidate': {
      const d = command.data;
      requireKind(state, d.model);
      requireText('version', d.version, 200);
      requireSha256('sha256', d.sha256);
      if (d.runId !== null) requireText('runId', d.runId, 200);
      if (d.parentVersion !== null) requireVersion(state, d.model, d.parentVersion);
      const existing = state.status === 'Active' ? state.versions[d.version] : undefined;
      if (existing) {
        if (existing.sha256 === d.sha256) return []; // the same training result reported twice
        throw new DomainError('ALREADY_EXISTS', `${d.model} version ${d.version} exists with other weights`, { model: d.model, version: d.version });
      }
      const base = { version: d.version, runId: d.runId, parentVersion: d.parentVersion, sha256: d.sha256 };
      switch (d.model) {
        case 'selector':
          return [{ type: 'SelectorTrained', data: { ...base, metrics: requireMetrics('metrics', d.metrics) }, metadata }];
        case 'policy':
          if (d.stage !== 1 && d.stage !== 2) invalid('stage', 'must be 1 or 2');
          requireFinite('meanReward', d.meanReward);
          requireFinite('loss', d.loss);
          requireInt('samples', d.samples, 0);
          return [{ type: 'PolicyUpdated', data: { ...base, stage: d.stage, meanReward: d.meanReward, loss: d.loss, samples: d.samples }, metadata }];
        case 'generator':
          requireText('method', d.method, 100);
          requireFinite('rewardBefore', d.rewardBefore);
          requireFinite('rewardAfter', d.rewardAfter);
          return [{ type: 'GeneratorRefined', data: { ...base, method: d.method, rewardBefore: d.rewardBefore, rewardAfter: d.rewardAfter }, metadata }];
        default: {
          const _exhaustive: never = d;
          return _exhaustive;
        }
      }
    }
    case 'RecordEvaluation': {
      const { model, version, metrics, passed, notes } = command.data;
      requireKind(state, model);
      const current = requireVersion(state, model, version);
      if (current.status !== 'Candidate' && current.status !== 'Evaluated') {
        throw new DomainError('FORBIDDEN_TRANSITION', `${model} version ${version} is ${current.status}; only candidates are evaluated`, { model, version, status: current.status });
      }
      requireMetrics('metrics', metrics);
      if (typeof passed !== 'boolean') invalid('passed', 'must be true or false');
      requireString('notes', notes, 5000);
      return [{ type: 'EvaluationCompleted', data: { model, modelVersion: version, metrics, passed, notes }, metadata }];
    }
    case 'PromoteVersion': {
      const { model, version } = command.data;
      requireKind(state, model);
      const current = requireVersion(state, model, version);
      switch (current.status) {
        case 'Promoted':
          return [];
        case 'Candidate':
          throw new DomainError('EVALUATION_REQUIRED', `${model} version ${version} has not been evaluated`, { model, version });
        case 'Evaluated':
          if (!current.passed) throw new DomainError('EVALUATION_FAILED', `${model} version ${version} failed its evaluation`, { model, version });
          break;
        case 'Retired':
          break; // a rollback to a version that served before
        case 'Rejected':
          throw new DomainError('FORBIDDEN_TRANSITION', `${model} version ${version} was rejected: ${current.reason}`, { model, version });
        default: {
          const _exhaustive: never = current;
          return _exhaustive;
        }
      }
      const replaces = state.status === 'Active' ? state.promoted : null;
      return [{ type: 'ModelVersionPromoted', data: { model, version, replaces }, metadata }];
    }
    case 'RejectVersion': {
      const { model, version, reason } = command.data;
      requireKind(state, model);
      const current = requireVersion(state, model, version);
      requireText('reason', reason, 2000);
      if (current.status === 'Rejected') return [];
      if (current.status === 'Promoted') {
        throw new DomainError('FORBIDDEN_TRANSITION', `${model} version ${version} is serving; promote another version first`, { model, version });
      }
      return [{ type: 'ModelVersionRejected', data: { model, version, reason }, metadata }];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: ModelVersionState, event: ModelVersionEvent): ModelVersionState {
  const active =
    state.status === 'Active'
      ? state
      : { status: 'Active' as const, model: modelOf(event), versions: {} as Record<string, VersionState>, promoted: null };
  const put = (version: string, next: VersionState): ModelVersionState => ({ ...active, versions: { ...active.versions, [version]: next } });
  switch (event.type) {
    case 'SelectorTrained':
    case 'PolicyUpdated':
    case 'GeneratorRefined':
      return put(event.data.version, { status: 'Candidate', sha256: event.data.sha256, parentVersion: event.data.parentVersion });
    case 'EvaluationCompleted': {
      const v = active.versions[event.data.modelVersion];
      if (!v) return active;
      return put(event.data.modelVersion, { status: 'Evaluated', sha256: v.sha256, parentVersion: v.parentVersion, passed: event.data.passed, metrics: event.data.metrics });
    }
    case 'ModelVersionPromoted': {
      const v = active.versions[event.data.version];
      if (!v) return active;
      const versions = { ...active.versions };
      const previous = event.data.replaces !== null ? versions[event.data.replaces] : undefined;
      if (event.data.replaces !== null && previous && previous.status === 'Promoted') {
        versions[event.data.replaces] = { ...previous, status: 'Retired' };
      }
      versions[event.data.version] = { status: 'Promoted', sha256: v.sha256, parentVersion: v.parentVersion, metrics: 'metrics' in v ? v.metrics : {} };
      return { ...active, versions, promoted: event.data.version };
    }
    case 'ModelVersionRejected': {
      const v = active.versions[event.data.version];
      if (!v) return active;
      return put(event.data.version, { status: 'Rejected', sha256: v.sha256, parentVersion: v.parentVersion, reason: event.data.reason });
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The kind of model an event concerns. */
export function modelOf(event: ModelVersionEvent): ModelKind {
  switch (event.type) {
    case 'SelectorTrained':
      return 'selector';
    case 'PolicyUpdated':
      return 'policy';
    case 'GeneratorRefined':
      return 'generator';
    case 'EvaluationCompleted':
    case 'ModelVersionPromoted':
    case 'ModelVersionRejected':
      return event.data.model;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const modelVersionDecider: Decider<ModelVersionState, ModelVersionCommand, ModelVersionEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Empty' }),
};
