import type { EventMetadata } from './event';

/**
 * An event as read back from the store. Structural on purpose: it matches @forge/event-store's
 * RecordedEvent without the domain depending on the store.
 */
export type RecordedLike<E extends { type: string; data: unknown; metadata: unknown } = { type: string; data: unknown; metadata: unknown }> = E & {
  streamId: string;
  streamVersion: number;
  /** Global position in the store. */
  position: number;
  /** ISO time the store recorded the event. */
  recordedAt: string;
};

/** The input of projections and rebuilds: any recorded event (unknown types are counted, not folded). */
export type AnyRecordedEvent = {
  type: string;
  data: unknown;
  metadata: unknown;
  streamId: string;
  streamVersion: number;
  position: number;
  recordedAt: string;
};

export type { EventMetadata };
