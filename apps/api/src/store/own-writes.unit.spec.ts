import { randomUUID } from 'node:crypto';
import { openPgliteEventStore, type SqlEventStore } from '@forge/event-store';
import { OwnWrites } from './own-writes';
import type { EventStore, RecordedEvent } from './port';

jest.setTimeout(30_000);

describe('OwnWrites', () => {
  let raw: SqlEventStore;
  beforeAll(async () => {
    raw = await openPgliteEventStore(undefined);
  });
  afterAll(() => raw?.close());

  it('hands this process its appended events at once and passes every other call through, bound once per method', async () => {
    const own = new OwnWrites();
    const seen: RecordedEvent[] = [];
    own.onAppended = (events) => seen.push(...events);
    const store = own.wrap(raw);
    const result = await store.append('s-1', [{ id: randomUUID(), type: 'A', data: { n: 1 }, metadata: {} }], 'no_stream');
    expect(seen.map((e) => [e.streamId, e.streamVersion, e.position, e.type])).toEqual([['s-1', 1, result.positions[0], 'A']]);
    expect((await store.readStream('s-1')).map((e) => e.type)).toEqual(['A']);
    expect(store.readStream).toBe(store.readStream);
    expect(store.append).toBe(store.append);
  });

  it('follows a method replaced on the store after wrapping', async () => {
    const store = new OwnWrites().wrap(raw);
    const before = store.readStream;
    const original = raw.readStream;
    (raw as { readStream: EventStore['readStream'] }).readStream = async () => [];
    try {
      expect(store.readStream).not.toBe(before);
      expect(await store.readStream('s-1')).toEqual([]);
    } finally {
      (raw as { readStream: EventStore['readStream'] }).readStream = original;
    }
  });
});
