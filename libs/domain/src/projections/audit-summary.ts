import type { AnyRecordedEvent } from '../shared/recorded';
import { streamCategory } from '../shared/streams';

/** Counts over the whole log: by type, by stream category, by actor kind; first and last event. */
export type AuditSummary = {
  events: number;
  streams: number;
  byType: Record<string, number>;
  eventsByCategory: Record<string, number>;
  streamsByCategory: Record<string, number>;
  byActorKind: Record<string, number>;
  first: { position: number; recordedAt: string } | null;
  last: { position: number; recordedAt: string } | null;
};

export function emptyAuditSummary(): AuditSummary {
  return { events: 0, streams: 0, byType: {}, eventsByCategory: {}, streamsByCategory: {}, byActorKind: {}, first: null, last: null };
}

function actorKind(metadata: unknown): string {
  const actor = typeof metadata === 'object' && metadata !== null ? (metadata as { actor?: { kind?: unknown } }).actor : undefined;
  return typeof actor?.kind === 'string' ? actor.kind : 'unknown';
}

/**
 * Folds any recorded event, known type or not: the summary describes the log as stored.
 * Mutates and returns `summary` (a working copy owned by the caller) to keep rebuilds linear.
 */
export function addToAuditSummary(summary: AuditSummary, event: AnyRecordedEvent): AuditSummary {
  const category = streamCategory(event.streamId);
  const bump = (counts: Record<string, number>, key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  summary.events += 1;
  bump(summary.byType, event.type);
  bump(summary.eventsByCategory, category);
  bump(summary.byActorKind, actorKind(event.metadata));
  if (event.streamVersion === 1) {
    summary.streams += 1;
    bump(summary.streamsByCategory, category);
  }
  const at = { position: event.position, recordedAt: event.recordedAt };
  if (summary.first === null || event.position < summary.first.position) summary.first = at;
  if (summary.last === null || event.position > summary.last.position) summary.last = at;
  return summary;
}
