import type { Admin, Consumer, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { deadLetterTopic, TOPIC_PREFIX, topicFor } from '../integration-event';
import { decodeEvent, InvalidMessageError } from '../kafka-message';
import { defaultLogger, type Logger } from '../logger';
import type { TransactionRunner } from '../sql';
import { retryRetriable } from '../kafka-retry';
import { claimInbox } from './inbox';
import type { ConsumerDefinition, IntegrationBus, RunningConsumer } from './port';

export interface KafkaBusOptions {
  /** Topic name prefix (default `forge.`); the dead-letter topic is `<prefix>dead-letter`. */
  topicPrefix?: string;
  logger?: Logger;
  /** How long a fetch waits for new messages; low for trigger latency (ms). */
  maxWaitTimeInMs?: number;
  sessionTimeoutMs?: number;
  /** Partitions handled at once; order is kept per partition, so per stream. */
  partitionsConsumedConcurrently?: number;
}

export const DEAD_LETTER_HEADERS = {
  reason: 'dead-letter-reason',
  consumer: 'dead-letter-consumer',
  topic: 'source-topic',
  partition: 'source-partition',
  offset: 'source-offset',
} as const;

/**
 * Distributed mode: each consumer is a kafkajs consumer group on `forge.<category>` topics. A message is
 * validated, then its inbox row and the handler's effect commit in one database transaction; the offset is
 * committed afterwards, so a crash redelivers and the inbox absorbs the duplicate. Messages that cannot be
 * read go to `forge.dead-letter` (`<prefix>dead-letter`) with the reason, and the consumer moves on.
 */
export class KafkaBus implements IntegrationBus {
  private readonly logger: Logger;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private connected?: Promise<void>;
  private readonly consumers = new Set<KafkaConsumer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly db: TransactionRunner,
    private readonly options: KafkaBusOptions = {},
  ) {
    this.logger = options.logger ?? defaultLogger('kafka-bus');
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    this.admin = kafka.admin();
  }

  async start(def: ConsumerDefinition): Promise<RunningConsumer> {
    this.connected ??= Promise.all([this.producer.connect(), this.admin.connect()]).then(() => undefined);
    await this.connected;
    const prefix = this.options.topicPrefix ?? TOPIC_PREFIX;
    const topics = def.categories.map((c) => topicFor(c, prefix));
    const deadLetter = deadLetterTopic(prefix);
    // Subscribing to a topic that does not exist yet would miss it until the next metadata refresh.
    const existing = new Set(await this.admin.listTopics());
    const missing = [...topics, deadLetter].filter((t) => !existing.has(t));
    if (missing.length > 0) await this.admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    const consumer = new KafkaConsumer(this.kafka, this.admin, this.producer, this.db, def, topics, deadLetter, this.options, this.logger);
    await consumer.start();
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    if (this.connected) await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.connected = undefined;
  }
}

class KafkaConsumer implements RunningConsumer {
  readonly name: string;
  private readonly consumer: Consumer;
  /** Next offset to handle, per `topic:partition`, as far as this process got. */
  private readonly done = new Map<string, bigint>();
  private stopped = false;
  private afterCommitOwed = false;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly db: TransactionRunner,
    private readonly def: ConsumerDefinition,
    private readonly topics: string[],
    private readonly deadLetterTopic: string,
    options: KafkaBusOptions,
    private readonly logger: Logger,
  ) {
    this.name = def.name;
    this.consumer = kafka.consumer({
      groupId: def.name,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 50,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: 8 },
    });
    this.partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 3;
  }

  private readonly partitionsConsumedConcurrently: number;

  async start(): Promise<void> {
    if (this.def.afterCommit) await this.def.afterCommit();
    await this.consumer.connect();
    await retryRetriable(() => this.consumer.subscribe({ topics: this.topics, fromBeginning: true }));
    await this.consumer.run({
      partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
      eachMessage: (payload) => this.handleMessage(payload),
    });
  }

  private async handleMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    let handled = false;
    try {
      const event = decodeEvent(topic, message);
      handled = await this.db.transaction(async (tx) => {
        if (!(await claimInbox(tx, this.name, event))) return false;
        await this.def.handle(event, tx);
        return true;
      });
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) throw err; // retried by kafkajs from this offset
      await this.deadLetter(topic, partition, message, err.message);
    }
    if ((handled || this.afterCommitOwed) && this.def.afterCommit) {
      // Owed until it succeeds once: a failed run must not wait for the next new event.
      this.afterCommitOwed = true;
      await this.def.afterCommit();
      this.afterCommitOwed = false;
    }
    const key = `${topic}:${partition}`;
    const next = BigInt(message.offset) + 1n;
    if (next > (this.done.get(key) ?? 0n)) this.done.set(key, next);
  }

  private async deadLetter(topic: string, partition: number, message: EachMessagePayload['message'], reason: string): Promise<void> {
    this.logger.warn({ consumer: this.name, topic, partition, offset: message.offset, reason }, 'message sent to dead letter');
    await this.producer.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.consumer]: this.name,
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
          },
        },
      ],
    });
  }

  /** Waits until every message below the high watermarks read now was handled (here, or as committed by the group). */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const targets: { key: string; high: bigint }[] = [];
    for (const topic of this.topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) {
        const high = BigInt(p.high);
        if (high > BigInt(p.low)) targets.push({ key: `${topic}:${p.partition}`, high });
      }
    }
    const deadline = Date.now() + timeoutMs;
    let lastCommittedCheck = 0;
    for (;;) {
      // Offsets committed by an earlier run (or another member) of this group never reach this process.
      if (Date.now() - lastCommittedCheck > 500) {
        await this.absorbCommittedOffsets();
        lastCommittedCheck = Date.now();
      }
      if (targets.every((t) => (this.done.get(t.key) ?? 0n) >= t.high)) return;
      if (this.stopped) throw new Error(`consumer ${this.name} stopped`);
      if (Date.now() > deadline) throw new Error(`consumer ${this.name} not caught up after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async absorbCommittedOffsets(): Promise<void> {
    for (const t of await this.admin.fetchOffsets({ groupId: this.name, topics: this.topics })) {
      for (const p of t.partitions) {
        const key = `${t.topic}:${p.partition}`;
        const committed = BigInt(p.offset);
        if (committed > (this.done.get(key) ?? 0n)) this.done.set(key, committed);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect();
  }
}
