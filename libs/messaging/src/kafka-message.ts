import type { IHeaders, Message } from 'kafkajs';
import { z } from 'zod';
import type { RecordedEvent } from '@forge/event-store';
import type { IntegrationEvent } from './integration-event';

// The wire format of an event on Kafka: key = stream id, value = the event as JSON,
// headers carry the event id (the dedupe key), type and position so they can be read without parsing.
export const HEADER_EVENT_ID = 'event-id';
export const HEADER_EVENT_TYPE = 'event-type';
export const HEADER_POSITION = 'position';
export const HEADER_STREAM_VERSION = 'stream-version';

export function encodeEvent(e: RecordedEvent): Message {
  const value = {
    eventId: e.id,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    position: e.position,
    transactionId: e.transactionId,
    recordedAt: e.recordedAt,
  };
  return {
    key: e.streamId,
    value: JSON.stringify(value),
    headers: {
      [HEADER_EVENT_ID]: e.id,
      [HEADER_EVENT_TYPE]: e.type,
      [HEADER_POSITION]: String(e.position),
      [HEADER_STREAM_VERSION]: String(e.streamVersion),
    },
  };
}

const jsonObject = z.record(z.unknown());

const wireEvent = z.object({
  eventId: z.string().min(1),
  streamId: z.string().min(1),
  streamVersion: z.number().int().positive().optional(),
  type: z.string().min(1),
  data: jsonObject,
  metadata: jsonObject,
  position: z.number().int().nonnegative(),
});

/** Why a message cannot be handled; it goes to the dead-letter topic with this reason. */
export class InvalidMessageError extends Error {
  readonly code = 'INVALID_MESSAGE';
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined || one === null) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}

interface IncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** Validates a consumed message and returns the event it carries; throws InvalidMessageError naming the reason. */
export function decodeEvent(topic: string, m: IncomingMessage): IntegrationEvent {
  const eventId = headerString(m.headers, HEADER_EVENT_ID);
  if (!eventId) throw new InvalidMessageError(`${topic}: missing header '${HEADER_EVENT_ID}'`);
  if (!m.value || m.value.length === 0) throw new InvalidMessageError(`${topic}: event ${eventId}: empty value`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(m.value.toString('utf8'));
  } catch (err) {
    throw new InvalidMessageError(`${topic}: event ${eventId}: value is not JSON (${(err as Error).message})`);
  }
  const result = wireEvent.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
    throw new InvalidMessageError(`${topic}: event ${eventId}: ${issues}`);
  }
  const e = result.data;
  if (e.eventId !== eventId) {
    throw new InvalidMessageError(`${topic}: header '${HEADER_EVENT_ID}' ${eventId} differs from the value's eventId ${e.eventId}`);
  }
  const key = m.key?.toString('utf8');
  if (key !== undefined && key !== e.streamId) {
    throw new InvalidMessageError(`${topic}: event ${eventId}: key '${key}' differs from streamId '${e.streamId}'`);
  }
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    type: e.type,
    data: e.data as IntegrationEvent['data'],
    metadata: e.metadata as IntegrationEvent['metadata'],
    position: e.position,
  };
}
