import type { Metrics } from '../events';
import { modelOf } from '../model-version/model-version.decider';
import type { ModelKind } from '../shared/streams';
import type { Projection } from './projection';

export type ModelVersionView = {
  version: string;
  status: 'Candidate' | 'Evaluated' | 'Promoted' | 'Retired' | 'Rejected';
  runId: string | null;
  parentVersion: string | null;
  sha256: string;
  /** What training reported (loss, reward…). */
  trainingMetrics: Metrics;
  /** What the evaluation measured, once evaluated. */
  evaluation: { metrics: Metrics; passed: boolean; notes: string } | null;
  rejectionReason: string | null;
  registeredAt: string;
  promotedAt: string | null;
};

/** All versions of one kind of model, and the one serving. */
export type ModelVersionsDoc = { model: ModelKind; promoted: string | null; versions: Record<string, ModelVersionView> };

type Events = 'SelectorTrained' | 'PolicyUpdated' | 'GeneratorRefined' | 'EvaluationCompleted' | 'ModelVersionPromoted' | 'ModelVersionRejected';

export const modelVersionsProjection: Projection<ModelVersionsDoc, Events> = {
  name: 'modelVersions',
  canHandle: ['SelectorTrained', 'PolicyUpdated', 'GeneratorRefined', 'EvaluationCompleted', 'ModelVersionPromoted', 'ModelVersionRejected'],
  documentId: (event) => modelOf(event),
  evolve(doc, event) {
    const current: ModelVersionsDoc = doc ?? { model: modelOf(event), promoted: null, versions: {} };
    const update = (version: string, change: (v: ModelVersionView) => ModelVersionView): ModelVersionsDoc => {
      const v = current.versions[version];
      return v ? { ...current, versions: { ...current.versions, [version]: change(v) } } : current;
    };
    const registered = (version: string, runId: string | null, parentVersion: string | null, sha256: string, trainingMetrics: Metrics): ModelVersionsDoc => ({
      ...current,
      versions: {
        ...current.versions,
        [version]: { version, status: 'Candidate', runId, parentVersion, sha256, trainingMetrics, evaluation: null, rejectionReason: null, registeredAt: event.metadata.occurredAt, promotedAt: null },
      },
    });
    switch (event.type) {
      case 'SelectorTrained': {
        const d = event.data;
        return registered(d.version, d.runId, d.parentVersion, d.sha256, d.metrics);
      }
      case 'PolicyUpdated': {
        const d = event.data;
        return registered(d.version, d.runId, d.parentVersion, d.sha256, { stage: d.stage, meanReward: d.meanReward, loss: d.loss, samples: d.samples });
      }
      case 'GeneratorRefined': {
        const d = event.data;
        return registered(d.version, d.runId, d.parentVersion, d.sha256, { rewardBefore: d.rewardBefore, rewardAfter: d.rewardAfter });
      }
      case 'EvaluationCompleted': {
        const { metrics, passed, notes } = event.data;
        return update(event.data.modelVersion, (v) => ({ ...v, status: 'Evaluated', evaluation: { metrics, passed, notes } }));
      }
      case 'ModelVersionPromoted': {
        const { version, replaces } = event.data;
        const retired = replaces === null ? current : { ...current, versions: { ...current.versions } };
        const previous = replaces === null ? undefined : retired.versions[replaces];
        if (replaces !== null && previous && previous.status === 'Promoted') retired.versions[replaces] = { ...previous, status: 'Retired' };
        const next = { ...retired, promoted: version };
        const v = next.versions[version];
        return v ? { ...next, versions: { ...next.versions, [version]: { ...v, status: 'Promoted', promotedAt: event.metadata.occurredAt } } } : next;
      }
      case 'ModelVersionRejected':
        return update(event.data.version, (v) => ({ ...v, status: 'Rejected', rejectionReason: event.data.reason }));
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};
