import type { RecordedEvent } from '@forge/event-store';
import { categoryOf, topicFor } from './integration-event';
import { decodeEvent, encodeEvent, HEADER_EVENT_ID, InvalidMessageError } from './kafka-message';

const recorded: RecordedEvent = {
  id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  type: 'RatingSubmitted',
  data: { taskId: 't1', quality: 3 },
  metadata: { correlationId: 'c1', occurredAt: '2026-01-01T00:00:00.000Z' },
  streamId: 'task-t1',
  streamVersion: 4,
  position: 17,
  transactionId: '812',
  hash: 'h',
  prevHash: 'p',
  recordedAt: '2026-01-01T00:00:00.001Z',
};

function asConsumed(m: ReturnType<typeof encodeEvent>) {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = Buffer.from(String(v));
  return { key: Buffer.from(String(m.key)), value: Buffer.from(String(m.value)), headers };
}

describe('Kafka wire format', () => {
  it('topic is forge.<category>, the stream id before the first dash', () => {
    expect(categoryOf('task-t1-extra')).toBe('task');
    expect(topicFor(categoryOf('model-selector'))).toBe('forge.model');
  });

  it('round-trips an event with key = stream id and the event id, type and position in headers', () => {
    const m = encodeEvent(recorded);
    expect(m.key).toBe('task-t1');
    expect(m.headers).toMatchObject({ 'event-id': recorded.id, 'event-type': 'RatingSubmitted', position: '17', 'stream-version': '4' });
    expect(decodeEvent('forge.task', asConsumed(m))).toEqual({
      eventId: recorded.id,
      streamId: 'task-t1',
      type: 'RatingSubmitted',
      data: recorded.data,
      metadata: recorded.metadata,
      position: 17,
    });
  });

  it('rejects a message without the event-id header', () => {
    const m = asConsumed(encodeEvent(recorded));
    delete m.headers[HEADER_EVENT_ID];
    expect(() => decodeEvent('forge.task', m)).toThrow(new InvalidMessageError("forge.task: missing header 'event-id'"));
  });

  it('rejects a value that is not JSON, naming the event', () => {
    const m = { ...asConsumed(encodeEvent(recorded)), value: Buffer.from('{not json') };
    expect(() => decodeEvent('forge.task', m)).toThrow(/event 1b4e28ba-.*: value is not JSON/);
  });

  it('rejects a value missing fields, naming them', () => {
    const m = { ...asConsumed(encodeEvent(recorded)), value: Buffer.from(JSON.stringify({ eventId: recorded.id, streamId: 'task-t1' })) };
    expect(() => decodeEvent('forge.task', m)).toThrow(/type: Required.*data: Required/);
  });

  it('rejects a header that disagrees with the value, and a key that disagrees with the stream', () => {
    const m = asConsumed(encodeEvent(recorded));
    expect(() => decodeEvent('forge.task', { ...m, headers: { ...m.headers, 'event-id': Buffer.from('other') } })).toThrow(/differs from the value's eventId/);
    expect(() => decodeEvent('forge.task', { ...m, key: Buffer.from('task-t2') })).toThrow(/key 'task-t2' differs from streamId 'task-t1'/);
  });
});
