import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { createTestDatabase, openPostgresEventStore, type NewEvent, type SqlEventStore, type TestDatabase } from '@forge/event-store';
import {
  BullMqJobQueue,
  ensureMessagingSchema,
  InProcessBus,
  InProcessJobQueue,
  KafkaBus,
  kafkaLogCreator,
  KafkaRelay,
  RetrainTrigger,
  runIdFor,
  type IntegrationBus,
  type JobQueue,
} from '@forge/messaging';
import { Benchmark, BenchRow, compared, median, percentile } from './harness';

// Trigger latency: from the N-th RatingSubmitted committed (append resolved) to the training job enqueued
// (the job's own timestamp), through the relay, Kafka, the trigger consumer and BullMQ on Redis. Baseline in
// the same run: the embedded path (in-process catch-up bus and job runner) on the same database server.
// Relay throughput: events/s from the log to Kafka acknowledged; baseline: reading the same log alone.

const root = path.resolve(__dirname, '../../..');
const THRESHOLD = 5;
// Logs to stderr, so --json output stays one parseable array.
const logger = pino({ level: process.env.FORGE_LOG_LEVEL ?? 'error' }, pino.destination(2));

interface Services {
  databaseUrl: string;
  kafkaBrokers: string[];
  redisUrl: string;
}

/** FORGE_TEST_* when set, else our own services started by infra/services.sh. */
function services(log: (l: string) => void): Services {
  let env = process.env;
  if (!env.FORGE_TEST_DATABASE_URL || !env.FORGE_TEST_KAFKA_BROKERS || !env.FORGE_TEST_REDIS_URL) {
    log('FORGE_TEST_* not set: starting PostgreSQL, Redis and Kafka with infra/services.sh');
    const file = execFileSync(path.join(root, 'infra/services.sh'), ['up', 'postgres', 'redis', 'kafka'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .toString()
      .trim();
    env = { ...env };
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(FORGE_TEST_[A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
  }
  return {
    databaseUrl: env.FORGE_TEST_DATABASE_URL as string,
    kafkaBrokers: (env.FORGE_TEST_KAFKA_BROKERS as string).split(','),
    redisUrl: env.FORGE_TEST_REDIS_URL as string,
  };
}

function rating(taskId: string, i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'RatingSubmitted',
    data: { taskId, imageId: `img-${taskId}`, expertId: `e${i % 4}`, quality: 1 + (i % 3), alignment: 2, flags: [], comment: '', msSpent: 900 },
    metadata: { actor: { kind: 'expert', id: `e${i % 4}` }, correlationId: randomUUID(), occurredAt: new Date().toISOString(), schemaVersion: 1 },
  };
}

async function waitForJob(jobs: JobQueue, jobId: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await jobs.getJob('train-selector', jobId);
    if (s) return s.enqueuedAt;
    if (Date.now() > deadline) throw new Error(`job train-selector ${jobId} not enqueued within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Appends ratings one by one (as experts submit them) and, at every N-th, measures commit → job enqueued.
 * Returns the latencies in ms.
 */
async function crossings(store: SqlEventStore, jobs: JobQueue, count: number, onAppend: () => void): Promise<number[]> {
  const latencies: number[] = [];
  let i = 0;
  for (let c = 0; c < count; c++) {
    let committedAt = 0;
    let upTo = 0;
    for (let k = 0; k < THRESHOLD; k++, i++) {
      const r = await store.append(`task-b${i % 7}`, [rating(`b${i % 7}`, i)], 'any');
      committedAt = Date.now();
      upTo = r.positions[0];
      onAppend();
    }
    const enqueuedAt = await waitForJob(jobs, runIdFor('selector', upTo));
    latencies.push(enqueuedAt - committedAt);
  }
  return latencies;
}

interface Path {
  store: SqlEventStore;
  jobs: JobQueue;
  bus: IntegrationBus;
  notify: () => void;
  close: () => Promise<void>;
}

async function openPath(kind: 'kafka' | 'in-process', svc: Services, db: TestDatabase): Promise<Path> {
  const store = await openPostgresEventStore(db.url);
  await ensureMessagingSchema(store);
  const prefix = `forge.bench-${randomBytes(4).toString('hex')}.`;
  if (kind === 'kafka') {
    const kafka = new Kafka({ clientId: 'trigger-bench', brokers: svc.kafkaBrokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
    const jobs = new BullMqJobQueue(svc.redisUrl, { prefix: `forge-bench-${randomBytes(4).toString('hex')}`, logger });
    const relay = new KafkaRelay(store, store, kafka, { name: 'bench-relay', topicPrefix: prefix, logger });
    const bus = new KafkaBus(kafka, store, { topicPrefix: prefix, logger });
    await relay.start();
    return {
      store,
      jobs,
      bus,
      // The relay polls; after an append it may be woken (an API process would do this on its own appends).
      notify: () => relay.notify(),
      close: async () => {
        await bus.close();
        await relay.stop();
        await jobs.obliterate('train-selector').catch(() => undefined);
        await jobs.close();
        await store.close();
      },
    };
  }
  const jobs = new InProcessJobQueue({ logger });
  const bus = new InProcessBus(store, store, { logger });
  return {
    store,
    jobs,
    bus,
    notify: () => bus.notify(),
    close: async () => {
      await bus.close();
      await jobs.close();
      await store.close();
    },
  };
}

async function triggerLatencies(kind: 'kafka' | 'in-process', svc: Services, count: number): Promise<number[]> {
  const db = await createTestDatabase(`bench_trigger_${kind.replace('-', '_')}`);
  const p = await openPath(kind, svc, db);
  try {
    const trigger = new RetrainTrigger(p.store, p.store, p.jobs, { thresholds: { selector: THRESHOLD }, logger });
    await trigger.ensureSchema();
    const consumer = await p.bus.start(trigger.consumer());
    // One warm-up crossing (connections, topic metadata, JIT), not counted.
    await crossings(p.store, p.jobs, 1, p.notify);
    const lat = await crossings(p.store, p.jobs, count, p.notify);
    await consumer.stop();
    return lat;
  } finally {
    await p.close();
    await db.drop();
  }
}

/** Events/s for the relay publishing `n` events, and for reading the same log alone. */
async function relayThroughput(svc: Services, n: number, runs: number): Promise<{ relay: number; read: number }> {
  const db = await createTestDatabase('bench_relay');
  const store = await openPostgresEventStore(db.url);
  const kafka = new Kafka({ clientId: 'relay-bench', brokers: svc.kafkaBrokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureMessagingSchema(store);
    for (let i = 0; i < n; i += 100) {
      const streamId = `task-r${(i / 100) % 20}`;
      await store.append(streamId, Array.from({ length: Math.min(100, n - i) }, (_, k) => rating(`r${i}`, i + k)), 'any');
    }
    const relayRates: number[] = [];
    const readRates: number[] = [];
    for (let r = 0; r < runs; r++) {
      let t0 = performance.now();
      let read = 0;
      for await (const page of store.readAllPages({ pageSize: 500 })) read += page.length;
      readRates.push((read * 1000) / (performance.now() - t0));

      // A fresh relay name (checkpoint) and topic prefix per run: each run publishes the whole log.
      // The topic is created before timing: creation waits for a leader, which is not throughput.
      const prefix = `forge.bench-${randomBytes(4).toString('hex')}.`;
      await admin.createTopics({ topics: [{ topic: `${prefix}task` }], waitForLeaders: true });
      const relay = new KafkaRelay(store, store, kafka, { name: `bench-relay-${r}`, topicPrefix: prefix, batchSize: 500, logger });
      await relay.start();
      t0 = performance.now();
      await relay.caughtUp();
      const elapsed = performance.now() - t0;
      const published = relay.stats().published;
      await relay.stop();
      if (published !== n) throw new Error(`relay published ${published} of ${n} events`);
      relayRates.push((published * 1000) / elapsed);
    }
    return { relay: median(relayRates), read: median(readRates) };
  } finally {
    await admin.disconnect();
    await store.close();
    await db.drop();
  }
}

export const benchmark: Benchmark = {
  name: 'trigger',
  description: 'retrain trigger latency (N-th rating committed → job enqueued) through Kafka + BullMQ vs in-process; relay throughput',
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    const svc = services(log);
    const count = quick ? 15 : 20 * Math.max(1, runs);
    log(`in-process bus: ${count} threshold crossings of ${THRESHOLD} ratings`);
    const local = await triggerLatencies('in-process', svc, count);
    log(`Kafka + BullMQ: ${count} threshold crossings of ${THRESHOLD} ratings`);
    const remote = await triggerLatencies('kafka', svc, count);
    const n = quick ? 2000 : 10_000;
    const relayRuns = quick ? 1 : runs;
    log(`relay: ${n} events, ${relayRuns} run(s)`);
    const tp = await relayThroughput(svc, n, relayRuns);
    return [
      compared('trigger latency p50, Kafka + BullMQ (baseline in-process)', percentile(remote, 50), 'ms', percentile(local, 50)),
      compared('trigger latency p99, Kafka + BullMQ (baseline in-process)', percentile(remote, 99), 'ms', percentile(local, 99)),
      compared('trigger latency max, Kafka + BullMQ (baseline in-process)', Math.max(...remote), 'ms', Math.max(...local)),
      compared('relay throughput to Kafka (baseline: reading the log alone)', tp.relay, 'events/s', tp.read),
    ];
  },
};
