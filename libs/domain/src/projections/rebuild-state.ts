import { canonicalJson } from '../shared/canonical-json';
import { DomainError } from '../shared/errors';
import type { AnyRecordedEvent } from '../shared/recorded';
import { addToAuditSummary, emptyAuditSummary, type AuditSummary } from './audit-summary';
import { imagesListProjection, type ImageListItem } from './images-list.projection';
import { labelTasksProjection, type LabelTaskView } from './label-tasks.projection';
import { modelVersionsProjection, type ModelVersionsDoc } from './model-versions.projection';
import { expertsProjection, usersProjection, type ExpertView, type UserView } from './people.projection';
import { applyEvent, type Projection } from './projection';
import { ratingsByImageProjection, type ImageRatings } from './ratings.projection';
import { signaturesProjection, type StreamSignatures } from './signatures.projection';

export type AsOf = {
  /** Keep events whose global position is at most this. */
  asOfPosition?: number;
  /** Keep events recorded at or before this ISO instant. */
  asOfTime?: string;
};

/** The whole state at one moment: every read model plus the audit summary, as plain data. */
export type RebuiltState = {
  asOf: {
    requestedPosition: number | null;
    requestedTime: string | null;
    /** Highest position folded, and the latest recording time folded. */
    lastPosition: number | null;
    lastRecordedAt: string | null;
    events: number;
  };
  audit: AuditSummary;
  images: Record<string, ImageListItem>;
  labelTasks: Record<string, LabelTaskView>;
  ratingsByImage: Record<string, ImageRatings>;
  modelVersions: Record<string, ModelVersionsDoc>;
  experts: Record<string, ExpertView>;
  /** Electronic signatures by the stream they sign. */
  signatures: Record<string, StreamSignatures>;
  /** Accounts without their password hashes: the rebuilt state is evidence, not a credential store. */
  users: Record<string, Omit<UserView, 'passwordHash'>>;
};

function keep(event: AnyRecordedEvent, position: number | undefined, timeMs: number | undefined): boolean {
  if (position !== undefined && event.position > position) return false;
  if (timeMs !== undefined && Date.parse(event.recordedAt) > timeMs) return false;
  return true;
}

/**
 * Folds every projection over `events` in the order given (the store's global read order),
 * keeping only events at or before the requested position and/or time. Pure and deterministic:
 * the same events always give the same state, and `canonicalJson` of it the same bytes.
 */
export function rebuildState(events: Iterable<AnyRecordedEvent>, asOf: AsOf = {}): RebuiltState {
  const { asOfPosition, asOfTime } = asOf;
  if (asOfPosition !== undefined && (!Number.isInteger(asOfPosition) || asOfPosition < 0)) {
    throw new DomainError('INVALID_INPUT', `asOfPosition: must be a non-negative integer, got ${asOfPosition}`, { field: 'asOfPosition' });
  }
  const timeMs = asOfTime === undefined ? undefined : Date.parse(asOfTime);
  if (timeMs !== undefined && Number.isNaN(timeMs)) {
    throw new DomainError('INVALID_INPUT', `asOfTime: not an ISO time: ${asOfTime}`, { field: 'asOfTime' });
  }

  const maps = {
    images: new Map<string, ImageListItem>(),
    labelTasks: new Map<string, LabelTaskView>(),
    ratingsByImage: new Map<string, ImageRatings>(),
    modelVersions: new Map<string, ModelVersionsDoc>(),
    experts: new Map<string, ExpertView>(),
    users: new Map<string, UserView>(),
    signatures: new Map<string, StreamSignatures>(),
  };
  const folds: [Projection<any, any>, Map<string, unknown>][] = [
    [imagesListProjection, maps.images],
    [labelTasksProjection, maps.labelTasks],
    [ratingsByImageProjection, maps.ratingsByImage],
    [modelVersionsProjection, maps.modelVersions],
    [expertsProjection, maps.experts],
    [usersProjection, maps.users],
    [signaturesProjection, maps.signatures],
  ];
  const audit = emptyAuditSummary();
  let lastPosition: number | null = null;
  let lastRecordedAt: string | null = null;

  for (const event of events) {
    if (!keep(event, asOfPosition, timeMs)) continue;
    addToAuditSummary(audit, event);
    for (const [projection, documents] of folds) applyEvent(projection, documents, event);
    if (lastPosition === null || event.position > lastPosition) lastPosition = event.position;
    if (lastRecordedAt === null || Date.parse(event.recordedAt) > Date.parse(lastRecordedAt)) lastRecordedAt = event.recordedAt;
  }

  const users: RebuiltState['users'] = {};
  for (const [id, { passwordHash: _hash, ...user }] of maps.users) users[id] = user;
  return {
    asOf: { requestedPosition: asOfPosition ?? null, requestedTime: asOfTime ?? null, lastPosition, lastRecordedAt, events: audit.events },
    audit,
    images: Object.fromEntries(maps.images),
    labelTasks: Object.fromEntries(maps.labelTasks),
    ratingsByImage: Object.fromEntries(maps.ratingsByImage),
    modelVersions: Object.fromEntries(maps.modelVersions),
    experts: Object.fromEntries(maps.experts),
    signatures: Object.fromEntries(maps.signatures),
    users,
  };
}

/** `rebuildState` serialised with sorted keys: byte-identical for the same events and bounds. */
export function rebuildStateJson(events: Iterable<AnyRecordedEvent>, asOf: AsOf = {}, indent?: number): string {
  return canonicalJson(rebuildState(events, asOf), indent);
}
