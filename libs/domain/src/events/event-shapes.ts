import { DomainError } from '../shared/errors';
import type { DomainEvent, DomainEventType } from './index';

// Checks for events that arrive from outside the process (Kafka messages, exported JSON lines,
// files handed to the CLI). Small explicit shapes instead of a schema library: the domain stays
// dependency-free, and each problem names the path and the reason.

/** A check returns null when the value fits, else the reason it does not. */
type Check = (value: unknown, path: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check = (v, p) => (typeof v === 'string' ? null : `${p}: must be a string`);
const text: Check = (v, p) => (typeof v === 'string' && v.length > 0 ? null : `${p}: must be a non-empty string`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `${p}: must be true or false`);
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `${p}: must be a finite number`);
const int =
  (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check =>
  (v, p) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `${p}: must be an integer in ${min}..${max}`;
const unit: Check = (v, p) => (typeof v === 'number' && v >= 0 && v <= 1 ? null : `${p}: must be a number in [0,1]`);
const sha256: Check = (v, p) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? null : `${p}: must be a lowercase hex sha256`);
const iso: Check = (v, p) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /T/.test(v) ? null : `${p}: must be an ISO 8601 time`);
const oneOf =
  (...allowed: (string | number)[]): Check =>
  (v, p) =>
    allowed.includes(v as string | number) ? null : `${p}: must be one of ${allowed.join(', ')}`;
const nullable =
  (check: Check): Check =>
  (v, p) =>
    v === null ? null : check(v, p);
const optional =
  (check: Check): Check =>
  (v, p) =>
    v === undefined ? null : check(v, p);
const arrayOf =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p}: must be an array`;
    for (let i = 0; i < v.length; i++) {
      const problem = check(v[i], `${p}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
const recordOf =
  (check: Check): Check =>
  (v, p) => {
    if (!isObject(v)) return `${p}: must be an object`;
    for (const [key, item] of Object.entries(v)) {
      const problem = check(item, `${p}.${key}`);
      if (problem) return problem;
    }
    return null;
  };
const scalar: Check = (v, p) => (['string', 'number', 'boolean'].includes(typeof v) || v === null ? null : `${p}: must be a string, number, boolean or null`);

/** An object with exactly these fields: unknown fields are refused too, they would be silently lost. */
const obj =
  (fields: Record<string, Check>): Check =>
  (v, p) => {
    if (!isObject(v)) return `${p}: must be an object`;
    for (const key of Object.keys(v)) if (!(key in fields)) return `${p}.${key}: unknown field`;
    for (const [key, check] of Object.entries(fields)) {
      const problem = check(v[key], `${p}.${key}`);
      if (problem) return problem;
    }
    return null;
  };

const id = text;
const model = oneOf('selector', 'policy', 'generator');
const metrics = recordOf(num);
const rating = oneOf(1, 2, 3);
const roles = arrayOf(oneOf('expert', 'operator', 'auditor', 'admin'));
const candidate = { version: id, runId: nullable(id), parentVersion: nullable(id), sha256 };

const DATA: Record<DomainEventType, Check> = {
  DatasetImported: obj({ datasetId: id, name: text, source: text, sourceSha256: sha256, imageCount: int(1) }),
  ImageRegistered: obj({
    imageId: id,
    datasetId: nullable(id),
    origin: oneOf('real', 'synthetic'),
    sha256,
    width: int(1),
    height: int(1),
    modality: text,
    caption: str,
    labels: recordOf(scalar),
  }),
  GenerationRequested: obj({ requestId: id, prompt: text, count: int(1), generatorVersion: id, seed: int(0), steps: int(1), guidance: num }),
  ImageGenerated: obj({ imageId: id, requestId: nullable(id), prompt: text, seed: int(0), generatorVersion: id, sha256 }),
  SelectorScored: obj({ imageId: id, selectorVersion: id, score: unit, uncertainty: num }),
  AlignmentScored: obj({ imageId: id, policyVersion: id, score: unit }),
  ExpertRegistered: obj({ expertId: id, userId: nullable(id), displayName: text, level: text }),
  ExpertReliabilityEstimated: obj({ expertId: id, reliability: unit, method: text, ratingsUsed: int(0), upToPosition: int(0) }),
  UserRegistered: obj({ userId: id, username: text, roles, passwordHash: text }),
  UserRolesChanged: obj({ userId: id, roles, previousRoles: roles }),
  UserPasswordChanged: obj({ userId: id, passwordHash: text }),
  UserDisabled: obj({ userId: id }),
  LabelTaskCreated: obj({
    taskId: id,
    imageId: id,
    reason: oneOf('uncertain', 'gold', 'random', 'disagreement', 'repeat'),
    priority: num,
    ratersWanted: int(1),
    raterCap: int(1),
  }),
  LabelTaskAssigned: obj({ taskId: id, expertId: id, leaseUntil: iso }),
  LabelTaskReleased: obj({ taskId: id, expertId: id, cause: oneOf('lease-expired', 'declined') }),
  LabelTaskRaterAdded: obj({ taskId: id, ratersWanted: int(1) }),
  LabelTaskCompleted: obj({
    taskId: id,
    imageId: id,
    consensus: obj({ quality: num, alignment: num, raters: int(1), method: oneOf('median') }),
  }),
  RatingSubmitted: obj({
    taskId: id,
    imageId: id,
    expertId: id,
    quality: rating,
    alignment: rating,
    flags: arrayOf(str),
    comment: str,
    msSpent: int(0),
  }),
  RatingRetracted: obj({ taskId: id, imageId: id, expertId: id }),
  RetrainingTriggered: obj({ runId: id, model, upToPosition: int(0), newRatings: int(0), threshold: optional(int(1)) }),
  TrainingStarted: obj({ runId: id, model, config: recordOf(scalar), dataUpToPosition: int(0), backend: text }),
  CheckpointSaved: obj({ runId: id, step: int(1), sha256, metrics }),
  TrainingCompleted: obj({ runId: id, model, version: id, sha256, steps: int(0), metrics }),
  TrainingFailed: obj({ runId: id, model, error: text, retryable: bool }),
  SelectorTrained: obj({ ...candidate, metrics }),
  PolicyUpdated: obj({ ...candidate, stage: oneOf(1, 2), meanReward: num, loss: num, samples: int(0) }),
  GeneratorRefined: obj({ ...candidate, method: text, rewardBefore: num, rewardAfter: num }),
  EvaluationCompleted: obj({ model, modelVersion: id, metrics, passed: bool, notes: str }),
  ModelVersionPromoted: obj({ model, version: id, replaces: nullable(id) }),
  ModelVersionRejected: obj({ model, version: id, reason: text }),
  SignatureApplied: obj({
    signatureId: id,
    stream: text,
    revision: int(1),
    hash: sha256,
    signer: id,
    meaning: oneOf('authorship', 'review', 'approval', 'responsibility'),
  }),
};

const METADATA = obj({
  actor: obj({ kind: oneOf('expert', 'operator', 'auditor', 'admin', 'system'), id: text }),
  reason: optional(str),
  correlationId: text,
  causationId: optional(text),
  occurredAt: iso,
  schemaVersion: int(1),
});

/** The first problem with an event's shape, or null when it is a well-formed catalogue event. */
export function eventProblem(raw: unknown, where = 'event'): string | null {
  if (!isObject(raw)) return `${where}: must be an object`;
  if (typeof raw.type !== 'string' || !Object.prototype.hasOwnProperty.call(DATA, raw.type)) {
    return `${where}.type: unknown event type ${JSON.stringify(raw.type)}`;
  }
  return DATA[raw.type as DomainEventType](raw.data, `${where}.data`) ?? METADATA(raw.metadata, `${where}.metadata`);
}

/**
 * Checks an event from outside and returns it typed, or throws INVALID_EVENT naming the path.
 * Extra top-level fields (id, streamId, position…) are allowed: they belong to the envelope.
 */
export function parseDomainEvent<T extends object>(raw: T, where = 'event'): T & DomainEvent {
  const problem = eventProblem(raw, where);
  if (problem) throw new DomainError('INVALID_EVENT', problem, { where });
  return raw as T & DomainEvent;
}

/** Type guard form of `parseDomainEvent`. */
export function isDomainEvent(raw: unknown): raw is DomainEvent {
  return eventProblem(raw) === null;
}
