import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import pino from 'pino';
import { retryRetriable } from '../kafka-retry';
import { kafkaLogCreator } from '../logger';

// Shared by the integration tests and the trigger benchmark: real PostgreSQL, Kafka and Redis from FORGE_TEST_*.

export function requireEnv(name: 'FORGE_TEST_DATABASE_URL' | 'FORGE_TEST_KAFKA_BROKERS' | 'FORGE_TEST_REDIS_URL'): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: start the services with \`source "$(infra/services.sh up)"\` (with set -a) before the integration tests`);
  }
  return v;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Creates a fresh database on the test server and returns its URL and a function that drops it. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = requireEnv('FORGE_TEST_DATABASE_URL');
  const name = uniqueName(prefix).toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const quietLogger = pino({ level: process.env.FORGE_LOG_LEVEL ?? 'error' });

export function testKafka(clientId = 'forge-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: requireEnv('FORGE_TEST_KAFKA_BROKERS').split(','),
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(quietLogger),
  });
}

/** A topic prefix of its own, so runs sharing the broker never read each other's events. */
export function uniqueTopicPrefix(): string {
  return `forge.${uniqueName('t').replace(/_/g, '-')}.`;
}

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

/** Reads every message of the topics from the beginning until `count` arrived (or throws after timeoutMs). */
export async function readTopics(kafka: Kafka, topics: string[], count: number, timeoutMs = 30_000): Promise<RawMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const got: RawMessage[] = [];
  await consumer.connect();
  try {
    await retryRetriable(() => consumer.subscribe({ topics, fromBeginning: true }));
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(Array.isArray(v) ? v[0] : v);
        got.push({ topic, partition, offset: message.offset, key: message.key?.toString(), value: message.value?.toString(), headers });
        if (got.length >= count) resolveDone();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`read ${got.length} of ${count} messages from ${topics.join(', ')} in ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    // Anything beyond `count` that is already there would be a wrong duplicate: give it a moment to show.
    await new Promise((r) => setTimeout(r, 300));
    return got;
  } finally {
    await consumer.disconnect();
  }
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until the global log shows at least `count` events matching `filter`. Readers see only transactions
 * below the cluster-wide xmin, so a transaction left open anywhere on the server (another test file) delays them.
 */
export async function waitVisible(
  store: { readAll(o: { limit: number }): Promise<{ type: string }[]> },
  count: number,
  filter: (e: { type: string }) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<void> {
  await waitUntil(`${count} visible events`, async () => (await store.readAll({ limit: 100_000 })).filter(filter).length >= count, timeoutMs);
}
