import type { EventStore, NewEvent, RecordedEvent } from '@forge/event-store';
import { KafkaBus } from '../bus/kafka-bus';
import { loadCheckpoint } from '../checkpoint';
import { ensureMessagingSchema } from '../schema';
import type { TransactionRunner } from '../sql';
import { imageRegistered, ratingSubmitted } from '../testing/fixtures';
import { freshDatabase, quietLogger, readTopics, testKafka, uniqueTopicPrefix, waitVisible } from '../testing/int-services';
import { openStore } from '../testing/open-store';
import { KafkaRelay } from './kafka-relay';

jest.setTimeout(90_000);

describe('KafkaRelay (real PostgreSQL and Kafka)', () => {
  let drop: () => Promise<void>;
  let store: EventStore;
  let db: TransactionRunner;
  const kafka = testKafka('relay-test');

  beforeAll(async () => {
    const fresh = await freshDatabase('relay');
    drop = fresh.drop;
    ({ store, db } = await openStore(fresh.url));
    await ensureMessagingSchema(db);
  });

  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  /** Appends `n` events spread over three streams of two categories, some appends carrying several events. */
  async function appendMixed(tag: string, n: number): Promise<NewEvent[]> {
    const streams = [`task-${tag}a`, `task-${tag}b`, `image-${tag}c`];
    const all: NewEvent[] = [];
    for (let i = 0; i < n; ) {
      const streamId = streams[i % streams.length];
      const batch = Array.from({ length: Math.min(1 + (i % 3), n - i) }, () =>
        streamId.startsWith('task') ? ratingSubmitted(streamId.slice(5), 'e1') : imageRegistered(streamId.slice(6)),
      );
      await store.append(streamId, batch, 'any');
      all.push(...batch);
      i += batch.length;
    }
    return all;
  }

  function checkOrderPerStream(messages: { key?: string; headers: Record<string, string> }[]) {
    const byKey = new Map<string, number[]>();
    for (const m of messages) byKey.set(m.key as string, [...(byKey.get(m.key as string) ?? []), Number(m.headers['stream-version'])]);
    for (const [key, versions] of byKey) {
      expect({ key, versions }).toEqual({ key, versions: versions.map((_, i) => i + 1) });
    }
  }

  it('publishes every event to forge.<category> in stream order, key = stream id, with id, type and position headers', async () => {
    const prefix = uniqueTopicPrefix();
    const appended = await appendMixed('r1', 45);
    await waitVisible(store, appended.length);
    const relay = new KafkaRelay(store, db, kafka, { name: 'relay-order', topicPrefix: prefix, batchSize: 16, logger: quietLogger });
    await relay.start();
    await relay.caughtUp();
    const stats = relay.stats();
    await relay.stop();

    const messages = await readTopics(kafka, [`${prefix}task`, `${prefix}image`], appended.length);
    expect(messages).toHaveLength(appended.length);
    expect(stats.published).toBe(appended.length);
    expect(stats.eventsPerSecond).toBeGreaterThan(0);

    const recorded = new Map<string, RecordedEvent>((await store.readAll({ limit: 10_000 })).map((e) => [e.id, e]));
    for (const m of messages) {
      const e = recorded.get(m.headers['event-id']) as RecordedEvent;
      expect(e).toBeDefined();
      expect(m.topic).toBe(`${prefix}${e.streamId.split('-')[0]}`);
      expect(m.key).toBe(e.streamId);
      expect(m.headers['event-type']).toBe(e.type);
      expect(Number(m.headers.position)).toBe(e.position);
      expect(JSON.parse(m.value as string)).toMatchObject({ eventId: e.id, streamId: e.streamId, type: e.type, data: e.data, position: e.position });
    }
    expect(new Set(messages.map((m) => m.headers['event-id']))).toEqual(new Set(appended.map((e) => e.id)));
    checkOrderPerStream(messages);

    const all = await store.readAll({ limit: 10_000 });
    const last = all[all.length - 1];
    expect(await loadCheckpoint(db, 'relay-order')).toEqual({ transactionId: last.transactionId, position: last.position });
  });

  it('killed after the broker acknowledged but before its checkpoint: the batch is republished with the same ids and the inbox absorbs it', async () => {
    const prefix = uniqueTopicPrefix();
    const before = (await store.readAll({ limit: 10_000 })).length;
    const appended = await appendMixed('r2', 30);
    await waitVisible(store, before + appended.length);
    // Start this relay where the log stands now, so it carries only this test's events.
    const everything = await store.readAll({ limit: 10_000 });
    const start = everything[before - 1];
    await db.transaction((tx) =>
      tx.query(`insert into messaging_checkpoint (name, transaction_id, position) values ('relay-crash', $1, $2)`, [start.transactionId, start.position]),
    );

    let batches = 0;
    const crashing = new KafkaRelay(store, db, kafka, {
      name: 'relay-crash',
      topicPrefix: prefix,
      batchSize: 10,
      logger: quietLogger,
      hooks: {
        afterAck: () => {
          if (++batches === 2) throw new Error('simulated crash after ack');
        },
      },
    });
    await crashing.start();
    await expect(crashing.finished()).rejects.toThrow('simulated crash after ack');
    await crashing.stop();
    const stuck = await loadCheckpoint(db, 'relay-crash');
    const tenth = everything[before + 9];
    expect(stuck).toEqual({ transactionId: tenth.transactionId, position: tenth.position });

    const restarted = new KafkaRelay(store, db, kafka, { name: 'relay-crash', topicPrefix: prefix, batchSize: 10, logger: quietLogger });
    await restarted.start();
    await restarted.caughtUp();
    await restarted.stop();

    const messages = await readTopics(kafka, [`${prefix}task`, `${prefix}image`], appended.length + 10);
    expect(messages).toHaveLength(appended.length + 10);
    const ids = messages.map((m) => m.headers['event-id']);
    const duplicated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(new Set(duplicated)).toEqual(new Set(everything.slice(before + 10, before + 20).map((e) => e.id)));

    // A consumer sees each event once, in stream order.
    await db.transaction((tx) =>
      tx.query(`create table relay_effects (seq bigserial primary key, event_id text not null, stream_id text not null, stream_version int not null)`),
    );
    const bus = new KafkaBus(kafka, db, { topicPrefix: prefix, logger: quietLogger });
    const consumer = await bus.start({
      name: `effects-${prefix}`,
      categories: ['task', 'image'],
      handle: async (event, tx) => {
        const version = (await store.readAll({ limit: 10_000 })).find((e) => e.id === event.eventId)?.streamVersion;
        await tx.query(`insert into relay_effects (event_id, stream_id, stream_version) values ($1, $2, $3)`, [event.eventId, event.streamId, version]);
      },
    });
    await consumer.caughtUp();
    await bus.close();
    const { rows } = await db.transaction((tx) =>
      tx.query<{ event_id: string; stream_id: string; stream_version: number }>(`select event_id, stream_id, stream_version from relay_effects order by seq`),
    );
    expect(rows).toHaveLength(appended.length);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended.map((e) => e.id)));
    for (const streamId of new Set(rows.map((r) => r.stream_id))) {
      const versions = rows.filter((r) => r.stream_id === streamId).map((r) => r.stream_version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
    const inbox = await db.transaction((tx) => tx.query<{ n: string }>(`select count(*) n from messaging_inbox where consumer = $1`, [`effects-${prefix}`]));
    expect(Number(inbox.rows[0].n)).toBe(appended.length);
  });
});
