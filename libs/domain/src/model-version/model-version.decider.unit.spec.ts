import type { ModelVersionEvent } from '../events';
import { specification } from '../testing/specification';
import { at, SHA_A, SHA_B, written } from '../testing/fixtures';
import { modelVersionDecider, type RegisterCandidate } from './model-version.decider';

const spec = specification(modelVersionDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const m = written(T0);
const trained = (version: string, sha256 = SHA_A): ModelVersionEvent => ({
  type: 'SelectorTrained',
  data: { version, runId: 'r1', parentVersion: null, sha256, metrics: { mae: 0.3 } },
  metadata: m,
});
const evaluated = (version: string, passed: boolean): ModelVersionEvent => ({
  type: 'EvaluationCompleted',
  data: { model: 'selector', modelVersion: version, metrics: { mae: 0.25 }, passed, notes: '' },
  metadata: m,
});
const promoted = (version: string, replaces: string | null): ModelVersionEvent => ({
  type: 'ModelVersionPromoted',
  data: { model: 'selector', version, replaces },
  metadata: m,
});
const promote = (version: string) => ({ type: 'PromoteVersion' as const, data: { model: 'selector' as const, version }, metadata: at(T0) });

describe('model version decider', () => {
  it('registers candidates of each kind', () => {
    const selector: RegisterCandidate = {
      type: 'RegisterCandidate',
      data: { model: 'selector', version: 's1', runId: 'r1', parentVersion: null, sha256: SHA_A, metrics: { mae: 0.3 } },
      metadata: at(T0),
    };
    spec.given([]).when(selector).then([trained('s1')]);
    const policy = spec
      .given([])
      .when({ type: 'RegisterCandidate', data: { model: 'policy', version: 'p1', runId: null, parentVersion: null, sha256: SHA_A, stage: 2, meanReward: 0.6, loss: 0.4, samples: 100 }, metadata: at(T0) })
      .events();
    expect(policy[0]).toMatchObject({ type: 'PolicyUpdated', data: { stage: 2, meanReward: 0.6 } });
    spec.given([trained('s1')]).when(selector).then([]);
    spec.given([trained('s1', SHA_B)]).when(selector).thenThrows('ALREADY_EXISTS');
    spec.given([trained('s1')]).when({ ...selector, data: { ...selector.data, version: 's2', parentVersion: 'nope' } }).thenThrows('NOT_FOUND');
  });

  it('promotes only an evaluated candidate that passed, replacing the serving one', () => {
    spec.given([trained('s1')]).when(promote('s1')).thenThrows('EVALUATION_REQUIRED');
    spec.given([trained('s1'), evaluated('s1', false)]).when(promote('s1')).thenThrows('EVALUATION_FAILED');
    spec.given([trained('s1'), evaluated('s1', true)]).when(promote('s1')).then([promoted('s1', null)]);
    spec
      .given([trained('s1'), evaluated('s1', true), promoted('s1', null), trained('s2', SHA_B), evaluated('s2', true)])
      .when(promote('s2'))
      .then([promoted('s2', 's1')]);
    spec.given([]).when(promote('s1')).thenThrows('NOT_FOUND');
  });

  it('keeps exactly one promoted version', () => {
    const history = [trained('s1'), evaluated('s1', true), promoted('s1', null), trained('s2', SHA_B), evaluated('s2', true), promoted('s2', 's1')];
    const state = history.reduce(modelVersionDecider.evolve, modelVersionDecider.initialState());
    if (state.status !== 'Active') throw new Error('expected an active stream');
    expect(state.promoted).toBe('s2');
    expect(Object.entries(state.versions).filter(([, v]) => v.status === 'Promoted').map(([k]) => k)).toEqual(['s2']);
    expect(state.versions.s1.status).toBe('Retired');
    // a rollback to the retired version is allowed
    spec.given(history).when(promote('s1')).then([promoted('s1', 's2')]);
  });

  it('rejects with a reason; a rejected version is never promoted; the serving one cannot be rejected', () => {
    const reject = (version: string, reason: string) => ({ type: 'RejectVersion' as const, data: { model: 'selector' as const, version, reason }, metadata: at(T0) });
    spec.given([trained('s1')]).when(reject('s1', 'worse ECE')).then([
      { type: 'ModelVersionRejected', data: { model: 'selector', version: 's1', reason: 'worse ECE' }, metadata: m },
    ]);
    spec.given([trained('s1')]).when(reject('s1', ' ')).thenThrows('INVALID_INPUT');
    const rejected: ModelVersionEvent = { type: 'ModelVersionRejected', data: { model: 'selector', version: 's1', reason: 'x' }, metadata: m };
    spec.given([trained('s1'), evaluated('s1', true), rejected]).when(promote('s1')).thenThrows('FORBIDDEN_TRANSITION');
    spec.given([trained('s1'), evaluated('s1', true), promoted('s1', null)]).when(reject('s1', 'x')).thenThrows('FORBIDDEN_TRANSITION');
  });

  it('refuses a command for another kind of model on this stream', () => {
    spec
      .given([trained('s1')])
      .when({ type: 'PromoteVersion', data: { model: 'policy', version: 's1' }, metadata: at(T0) })
      .thenThrows('INVALID_INPUT');
  });
});
