import type { EventStore } from '@forge/event-store';
import { KafkaRelay } from '../relay/kafka-relay';
import { ensureMessagingSchema } from '../schema';
import type { TransactionRunner } from '../sql';
import { ratingSubmitted } from '../testing/fixtures';
import { freshDatabase, quietLogger, readTopics, testKafka, uniqueTopicPrefix, waitVisible } from '../testing/int-services';
import { openStore } from '../testing/open-store';
import { DEAD_LETTER_HEADERS, KafkaBus } from './kafka-bus';

jest.setTimeout(90_000);

describe('KafkaBus dead letter (real PostgreSQL and Kafka)', () => {
  let drop: () => Promise<void>;
  let store: EventStore;
  let db: TransactionRunner;
  const kafka = testKafka('dead-letter-test');

  beforeAll(async () => {
    const fresh = await freshDatabase('dead_letter');
    drop = fresh.drop;
    ({ store, db } = await openStore(fresh.url));
    await ensureMessagingSchema(db);
    await db.transaction((tx) => tx.query(`create table handled (event_id text primary key)`));
  });

  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('sends unreadable messages to forge.dead-letter with the reason and keeps handling the good ones', async () => {
    const prefix = uniqueTopicPrefix();
    const bus = new KafkaBus(kafka, db, { topicPrefix: prefix, logger: quietLogger });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const consumer = await bus.start({
        name: `dl-${prefix}`,
        categories: ['task'],
        handle: async (event, tx) => {
          await tx.query(`insert into handled (event_id) values ($1)`, [event.eventId]);
        },
      });
      await producer.send({
        topic: `${prefix}task`,
        messages: [
          { key: 'task-x', value: '{"eventId": "broken', headers: { 'event-id': 'bad-json-1' } },
          { key: 'task-x', value: JSON.stringify({ eventId: 'no-header', streamId: 'task-x', type: 'T', data: {}, metadata: {}, position: 1 }) },
        ],
      });
      const good = ratingSubmitted('x', 'e1');
      await store.append('task-x', [good], 'any');
      await waitVisible(store, 1);
      const relay = new KafkaRelay(store, db, kafka, { name: 'dl-relay', topicPrefix: prefix, logger: quietLogger });
      await relay.start();
      await relay.caughtUp();
      await relay.stop();
      await consumer.caughtUp();

      const { rows } = await db.transaction((tx) => tx.query<{ event_id: string }>(`select event_id from handled`));
      expect(rows).toEqual([{ event_id: good.id }]);

      const dead = await readTopics(kafka, [`${prefix}dead-letter`], 2);
      expect(dead).toHaveLength(2);
      const reasons = dead.map((m) => m.headers[DEAD_LETTER_HEADERS.reason]).sort();
      expect(reasons[0]).toMatch(new RegExp(`^${prefix.replace(/\./g, '\\.')}task: event bad-json-1: value is not JSON`));
      expect(reasons[1]).toBe(`${prefix}task: missing header 'event-id'`);
      for (const m of dead) {
        expect(m.key).toBe('task-x');
        expect(m.headers[DEAD_LETTER_HEADERS.consumer]).toBe(`dl-${prefix}`);
        expect(m.headers[DEAD_LETTER_HEADERS.topic]).toBe(`${prefix}task`);
      }
      expect(dead.map((m) => m.value)).toContain('{"eventId": "broken');
    } finally {
      await producer.disconnect();
      await bus.close();
    }
  });
});
