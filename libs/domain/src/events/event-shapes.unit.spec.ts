import { DomainError } from '../shared/errors';
import { SHA_A, SHA_B, written } from '../testing/fixtures';
import { DOMAIN_EVENT_TYPES, type DomainEventType, type EventOfType } from './index';
import { eventProblem, isDomainEvent, parseDomainEvent } from './event-shapes';

const T = '2026-01-01T10:00:00.000Z';
const consensus = { quality: 2, alignment: 2.5, raters: 2, method: 'median' as const };

// One sample per type; the mapped type makes the compiler check each sample against its event.
const SAMPLES: { [K in DomainEventType]: EventOfType<K>['data'] } = {
  DatasetImported: { datasetId: 'd1', name: 'demo', source: 'demo.csv', sourceSha256: SHA_A, imageCount: 2 },
  ImageRegistered: { imageId: 'i1', datasetId: 'd1', origin: 'real', sha256: SHA_A, width: 64, height: 64, modality: 'fundus', caption: 'c', labels: { grade: 2, dme: false } },
  GenerationRequested: { requestId: 'g1', prompt: 'drusen', count: 4, generatorVersion: 'gen-1', seed: 1, steps: 50, guidance: 3.5 },
  ImageGenerated: { imageId: 'i2', requestId: 'g1', prompt: 'drusen', seed: 1, generatorVersion: 'gen-1', sha256: SHA_B },
  SelectorScored: { imageId: 'i1', selectorVersion: 's1', score: 0.5, uncertainty: 0.1 },
  AlignmentScored: { imageId: 'i1', policyVersion: 'p1', score: 0.7 },
  ExpertRegistered: { expertId: 'e1', userId: null, displayName: 'Dr A', level: 'senior' },
  ExpertReliabilityEstimated: { expertId: 'e1', reliability: 0.9, method: 'dawid-skene', ratingsUsed: 10, upToPosition: 100 },
  UserRegistered: { userId: 'u1', username: 'ada', roles: ['admin'], passwordHash: 'scrypt$x' },
  UserRolesChanged: { userId: 'u1', roles: ['operator'], previousRoles: ['admin'] },
  UserPasswordChanged: { userId: 'u1', passwordHash: 'scrypt$y' },
  UserDisabled: { userId: 'u1' },
  LabelTaskCreated: { taskId: 't1', imageId: 'i1', reason: 'repeat', priority: 3, ratersWanted: 2, raterCap: 4 },
  LabelTaskAssigned: { taskId: 't1', expertId: 'e1', leaseUntil: T },
  LabelTaskReleased: { taskId: 't1', expertId: 'e1', cause: 'lease-expired' },
  LabelTaskRaterAdded: { taskId: 't1', ratersWanted: 3 },
  LabelTaskCompleted: { taskId: 't1', imageId: 'i1', consensus },
  RatingSubmitted: { taskId: 't1', imageId: 'i1', expertId: 'e1', quality: 3, alignment: 1, flags: ['blur'], comment: '', msSpent: 900 },
  RatingRetracted: { taskId: 't1', imageId: 'i1', expertId: 'e1' },
  RetrainingTriggered: { runId: 'selector-upto-9', model: 'selector', upToPosition: 9, newRatings: 50 },
  TrainingStarted: { runId: 'r1', model: 'policy', config: { preset: 'tiny', lr: 0.001 }, dataUpToPosition: 9, backend: 'wasm' },
  CheckpointSaved: { runId: 'r1', step: 10, sha256: SHA_A, metrics: { loss: 0.3 } },
  TrainingCompleted: { runId: 'r1', model: 'policy', version: 'p2', sha256: SHA_B, steps: 100, metrics: {} },
  TrainingFailed: { runId: 'r1', model: 'policy', error: 'out of memory', retryable: true },
  SelectorTrained: { version: 's2', runId: 'r2', parentVersion: 's1', sha256: SHA_A, metrics: { ece: 0.05 } },
  PolicyUpdated: { version: 'p2', runId: null, parentVersion: null, sha256: SHA_A, stage: 1, meanReward: 0.4, loss: 0.6, samples: 128 },
  GeneratorRefined: { version: 'g2', runId: null, parentVersion: 'g1', sha256: SHA_B, method: 'ddpo', rewardBefore: 0.4, rewardAfter: 0.5 },
  EvaluationCompleted: { model: 'generator', modelVersion: 'g2', metrics: { fdFundus: 12.5 }, passed: false, notes: 'worse FD' },
  ModelVersionPromoted: { model: 'selector', version: 's2', replaces: 's1' },
  ModelVersionRejected: { model: 'generator', version: 'g2', reason: 'worse FD' },
  SignatureApplied: { signatureId: 'sig1', stream: 'model-selector', revision: 3, hash: SHA_A, signer: 'u1', meaning: 'approval' },
};

const sample = (type: DomainEventType) => ({ type, data: SAMPLES[type] as Record<string, unknown>, metadata: written(T) });

describe('event shapes', () => {
  it('accepts a well-formed event of every type in the catalogue', () => {
    for (const type of DOMAIN_EVENT_TYPES) expect([type, eventProblem(sample(type))]).toEqual([type, null]);
  });

  it('accepts envelope fields next to the event', () => {
    const recorded = { ...sample('UserDisabled'), id: 'x', streamId: 'user-u1', position: 4 };
    expect(parseDomainEvent(recorded).position).toBe(4);
  });

  it('names the path and reason of the first problem', () => {
    const rating = sample('RatingSubmitted');
    expect(eventProblem({ ...rating, data: { ...rating.data, quality: 4 } })).toBe('event.data.quality: must be one of 1, 2, 3');
    expect(eventProblem({ ...rating, data: { ...rating.data, extra: 1 } })).toBe('event.data.extra: unknown field');
    expect(eventProblem({ ...rating, data: { ...rating.data, flags: ['ok', 3] } })).toBe('event.data.flags[1]: must be a string');
    expect(eventProblem({ ...rating, metadata: { ...rating.metadata, actor: { kind: 'robot', id: 'x' } } })).toBe(
      'event.metadata.actor.kind: must be one of expert, operator, auditor, admin, system',
    );
    expect(eventProblem({ ...rating, type: 'RatingDeleted' })).toBe('event.type: unknown event type "RatingDeleted"');
    expect(eventProblem('x', 'line 7')).toBe('line 7: must be an object');
  });

  it('throws INVALID_EVENT from parseDomainEvent, and isDomainEvent answers false', () => {
    const bad = { ...sample('SelectorScored'), data: { ...SAMPLES.SelectorScored, score: 2 } };
    expect(isDomainEvent(bad)).toBe(false);
    let thrown: unknown;
    try {
      parseDomainEvent(bad, 'export.jsonl:3');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('INVALID_EVENT');
    expect((thrown as DomainError).message).toBe('export.jsonl:3.data.score: must be a number in [0,1]');
  });
});
