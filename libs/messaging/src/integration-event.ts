import { streamCategory } from '@forge/domain';
import type { JsonObject, RecordedEvent } from '@forge/event-store';

/** What a consumer sees, whether it came through Kafka or the in-process bus. */
export interface IntegrationEvent {
  eventId: string;
  streamId: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  /** Global position in the event store. */
  position: number;
}

/** A stream's category is its id before the first '-' (`task-42` → `task`). */
export const categoryOf = streamCategory;

export const TOPIC_PREFIX = 'forge.';
export const DEAD_LETTER_TOPIC = 'forge.dead-letter';

export function topicFor(category: string): string {
  return `${TOPIC_PREFIX}${category}`;
}

export function toIntegrationEvent(e: RecordedEvent): IntegrationEvent {
  return { eventId: e.id, streamId: e.streamId, type: e.type, data: e.data, metadata: e.metadata, position: e.position };
}
