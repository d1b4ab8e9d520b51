import type { DomainEvent, DomainEventType } from '../events';
import { isDomainEventType } from '../events';
import type { AnyRecordedEvent, RecordedLike } from '../shared/recorded';

export type RecordedDomainEvent = RecordedLike<DomainEvent>;

/**
 * A read model kept as one document per key (an image, a task, a model kind…), so folding N
 * events costs O(N) and a store can keep one row per document. `evolve` is pure: it returns the
 * new document (or null to delete it) and never mutates its input.
 */
export type Projection<Doc, T extends DomainEventType = DomainEventType> = {
  name: string;
  canHandle: readonly T[];
  documentId: (event: RecordedLike<Extract<DomainEvent, { type: T }>>) => string;
  evolve: (doc: Doc | null, event: RecordedLike<Extract<DomainEvent, { type: T }>>) => Doc | null;
};

/** Whether a projection folds this event. */
export function handles<Doc, T extends DomainEventType>(
  projection: Projection<Doc, T>,
  event: AnyRecordedEvent,
): event is RecordedLike<Extract<DomainEvent, { type: T }>> {
  return isDomainEventType(event.type) && (projection.canHandle as readonly string[]).includes(event.type);
}

/** Applies one event to a map of documents in place (the map is the caller's working copy). */
export function applyEvent<Doc, T extends DomainEventType>(
  projection: Projection<Doc, T>,
  documents: Map<string, Doc>,
  event: AnyRecordedEvent,
): void {
  if (!handles(projection, event)) return;
  const id = projection.documentId(event);
  const next = projection.evolve(documents.get(id) ?? null, event);
  if (next === null) documents.delete(id);
  else documents.set(id, next);
}

/** Folds events into documents keyed by id, as a plain object. */
export function foldProjection<Doc, T extends DomainEventType>(
  projection: Projection<Doc, T>,
  events: Iterable<AnyRecordedEvent>,
): Record<string, Doc> {
  const documents = new Map<string, Doc>();
  for (const event of events) applyEvent(projection, documents, event);
  return Object.fromEntries(documents);
}
