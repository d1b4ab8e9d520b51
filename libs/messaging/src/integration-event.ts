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
export const DEAD_LETTER_TOPIC = `${TOPIC_PREFIX}dead-letter`;

/** `prefix` other than the default only separates deployments (or test runs) that share one Kafka. */
export function topicFor(category: string, prefix = TOPIC_PREFIX): string {
  return `${prefix}${category}`;
}

export function deadLetterTopic(prefix = TOPIC_PREFIX): string {
  return `${prefix}dead-letter`;
}

export function toIntegrationEvent(e: RecordedEvent): IntegrationEvent {
  return { eventId: e.id, streamId: e.streamId, type: e.type, data: e.data, metadata: e.metadata, position: e.position };
}
