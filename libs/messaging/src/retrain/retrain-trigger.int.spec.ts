import type { EventStore, NewEvent, RecordedEvent } from '@forge/event-store';
import { InProcessBus } from '../bus/in-process-bus';
import { KafkaBus } from '../bus/kafka-bus';
import { BullMqJobQueue } from '../jobs/bullmq-queue';
import { InProcessJobQueue } from '../jobs/in-process-queue';
import type { JobQueue } from '../jobs/port';
import { KafkaRelay } from '../relay/kafka-relay';
import { ensureMessagingSchema } from '../schema';
import type { TransactionRunner } from '../sql';
import { ratingSubmitted } from '../testing/fixtures';
import { freshDatabase, quietLogger, requireEnv, testKafka, uniqueName, uniqueTopicPrefix, waitVisible } from '../testing/int-services';
import { openStore } from '../testing/open-store';
import { runIdFor } from './decide-trigger';
import { RetrainTrigger } from './retrain-trigger';

jest.setTimeout(120_000);

const thresholds = { selector: 5, policy: 7 } as const;
const RATINGS = 36;

/** The same ratings, in the same appends, for every database: 6 task streams, one or two ratings per append. */
function ratingPlan(): { streamId: string; events: NewEvent[] }[] {
  const plan: { streamId: string; events: NewEvent[] }[] = [];
  for (let i = 0; i < RATINGS; ) {
    const task = `t${(i * 7) % 6}`;
    const n = Math.min(i % 4 === 0 ? 2 : 1, RATINGS - i);
    plan.push({ streamId: `task-${task}`, events: Array.from({ length: n }, (_, k) => ratingSubmitted(task, `e${(i + k) % 3}`)) });
    i += n;
  }
  return plan;
}

interface Env {
  store: EventStore;
  db: TransactionRunner;
  drop: () => Promise<void>;
}

async function openEnv(tag: string, plan: ReturnType<typeof ratingPlan>): Promise<Env> {
  const fresh = await freshDatabase(tag);
  const { store, db } = await openStore(fresh.url);
  await ensureMessagingSchema(db);
  for (const a of plan) await store.append(a.streamId, a.events, 'any');
  await waitVisible(store, RATINGS);
  return { store, db, drop: fresh.drop };
}

async function triggered(store: EventStore): Promise<RecordedEvent[]> {
  return (await store.readAll({ limit: 10_000 })).filter((e) => e.type === 'RetrainingTriggered');
}

/** Every trigger is consistent with itself: id = runId = uuid(model, upToPosition), in stream run-<runId>, with a job of that id. */
async function checkTriggers(store: EventStore, jobs: JobQueue) {
  const expected = Math.floor(RATINGS / thresholds.selector) + Math.floor(RATINGS / thresholds.policy);
  await waitVisible(store, expected, (e) => e.type === 'RetrainingTriggered');
  const events = await triggered(store);
  const byModel: Record<string, RecordedEvent[]> = { selector: [], policy: [] };
  for (const e of events) {
    const d = e.data as { runId: string; model: 'selector' | 'policy'; upToPosition: number; newRatings: number; threshold: number };
    expect(e.id).toBe(d.runId);
    expect(d.runId).toBe(runIdFor(d.model, d.upToPosition));
    expect(e.streamId).toBe(`run-${d.runId}`);
    expect(d.newRatings).toBe(thresholds[d.model]);
    expect(d.threshold).toBe(thresholds[d.model]);
    byModel[d.model].push(e);
  }
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  expect(byModel.selector).toHaveLength(Math.floor(RATINGS / thresholds.selector));
  expect(byModel.policy).toHaveLength(Math.floor(RATINGS / thresholds.policy));
  expect(new Set(await jobs.jobIds('train-selector'))).toEqual(new Set(byModel.selector.map((e) => e.id)));
  expect(new Set(await jobs.jobIds('train-policy'))).toEqual(new Set(byModel.policy.map((e) => e.id)));
  // The job carries the run's data; the threshold crossed stays in the event.
  for (const e of byModel.selector) expect((await jobs.getJob('train-selector', e.id))?.payload).toEqual({ ...e.data, threshold: undefined });
  return byModel;
}

async function pendingCount(db: TransactionRunner): Promise<number> {
  const { rows } = await db.transaction((tx) => tx.query<{ n: string }>(`select count(*) n from retrain_trigger_pending`));
  return Number(rows[0].n);
}

describe('retrain trigger (real PostgreSQL, Kafka, Redis)', () => {
  const plan = ratingPlan();
  const kafka = testKafka('trigger-test');

  it('every Kafka message delivered twice, and a restart: one RetrainingTriggered and one job per threshold crossing', async () => {
    const env = await openEnv('trigger_kafka', plan);
    const prefix = uniqueTopicPrefix();
    const jobs = new BullMqJobQueue(requireEnv('FORGE_TEST_REDIS_URL'), { prefix: uniqueName('forge-test'), logger: quietLogger });
    const bus = new KafkaBus(kafka, env.db, { topicPrefix: prefix, logger: quietLogger });
    // Stopped in finally too: a relay left running after a failed check would outlive the store's pool.
    const relays: KafkaRelay[] = [];
    try {
      const trigger = new RetrainTrigger(env.store, env.db, jobs, { thresholds, logger: quietLogger });
      await trigger.ensureSchema();
      // Two relays with their own checkpoints: every event reaches Kafka twice.
      relays.push(...['relay-a', 'relay-b'].map((name) => new KafkaRelay(env.store, env.db, kafka, { name, topicPrefix: prefix, batchSize: 7, logger: quietLogger })));
      for (const r of relays) await r.start();
      const consumer = await bus.start(trigger.consumer());
      for (const r of relays) await r.caughtUp();
      await consumer.caughtUp();
      await consumer.stop();
      expect(await pendingCount(env.db)).toBe(0);
      await checkTriggers(env.store, jobs);

      // A restarted consumer group and a third full copy of the log change nothing.
      const again = new KafkaRelay(env.store, env.db, kafka, { name: 'relay-c', topicPrefix: prefix, logger: quietLogger });
      relays.push(again);
      await again.start();
      const restarted = await bus.start(trigger.consumer());
      await again.caughtUp();
      // The relays also publish the RetrainingTriggered events (forge.run); wait for the ratings' topic.
      await restarted.caughtUp();
      for (const r of relays) await r.stop();
      await checkTriggers(env.store, jobs);
      const { rows } = await env.db.transaction((tx) =>
        tx.query<{ model: string; ratings_since_training: number; triggers: number }>(`select model, ratings_since_training, triggers from retrain_trigger_counter order by model`),
      );
      expect(rows).toEqual([
        { model: 'policy', ratings_since_training: RATINGS % thresholds.policy, triggers: Math.floor(RATINGS / thresholds.policy) },
        { model: 'selector', ratings_since_training: RATINGS % thresholds.selector, triggers: Math.floor(RATINGS / thresholds.selector) },
      ]);
    } finally {
      for (const r of relays) await r.stop();
      await bus.close();
      await jobs.close();
      await env.store.close();
      await env.drop();
    }
  });

  it('in-process bus on the same events: the same triggers and jobs, at the 5th, 10th… rating in log order', async () => {
    const env = await openEnv('trigger_inproc', plan);
    const jobs = new InProcessJobQueue({ logger: quietLogger });
    const bus = new InProcessBus(env.store, env.db, { logger: quietLogger });
    try {
      const trigger = new RetrainTrigger(env.store, env.db, jobs, { thresholds, logger: quietLogger });
      await trigger.ensureSchema();
      const consumer = await bus.start(trigger.consumer());
      await consumer.caughtUp();
      const byModel = await checkTriggers(env.store, jobs);
      const ratings = (await env.store.readAll({ limit: 10_000 })).filter((e) => e.type === 'RatingSubmitted');
      const crossings = (every: number) => ratings.filter((_, i) => (i + 1) % every === 0).map((e) => e.position);
      const upTo = (events: RecordedEvent[]) => events.map((e) => (e.data as { upToPosition: number }).upToPosition).sort((a, b) => a - b);
      expect(upTo(byModel.selector)).toEqual(crossings(thresholds.selector));
      expect(upTo(byModel.policy)).toEqual(crossings(thresholds.policy));
      await consumer.stop();
    } finally {
      await bus.close();
      await jobs.close();
      await env.store.close();
      await env.drop();
    }
  });

  it('a crash between the counting transaction and the enqueue is completed from the pending table on restart', async () => {
    const env = await openEnv('trigger_pending', plan);
    const jobs = new InProcessJobQueue({ logger: quietLogger });
    // The first enqueue fails, as if the process died right after the decision committed.
    let failures = 1;
    const flaky: JobQueue = Object.create(jobs, {
      enqueue: {
        value: async (name: string, id: string, payload: unknown) => {
          if (failures-- > 0) throw new Error('simulated crash before enqueue');
          return jobs.enqueue(name, id, payload);
        },
      },
    });
    const bus = new InProcessBus(env.store, env.db, { logger: quietLogger, retryDelayMs: 20 });
    try {
      const trigger = new RetrainTrigger(env.store, env.db, flaky, { thresholds, logger: quietLogger });
      await trigger.ensureSchema();
      const consumer = await bus.start(trigger.consumer());
      await consumer.caughtUp();
      await consumer.caughtUp();
      expect(await pendingCount(env.db)).toBe(0);
      await checkTriggers(env.store, jobs);
      await consumer.stop();
    } finally {
      await bus.close();
      await jobs.close();
      await env.store.close();
      await env.drop();
    }
  });
});
