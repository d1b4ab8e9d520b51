import { performance } from 'node:perf_hooks';
import { Partitioners, type Admin, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { EventStore, GlobalCheckpoint, RecordedEvent } from '@forge/event-store';
import { categoryOf, TOPIC_PREFIX, topicFor } from '../integration-event';
import { encodeEvent } from '../kafka-message';
import { defaultLogger, type Logger } from '../logger';
import { Waker } from '../sleep';
import type { TransactionRunner } from '../sql';
import { loadCheckpoint, storeCheckpoint } from '../checkpoint';

export interface RelayHooks {
  /**
   * Called after the broker acknowledged a batch and before the checkpoint is stored. For fault tests:
   * if it throws, the relay stops at once as if its process had died there (no checkpoint, no retry).
   */
  afterAck?: (events: RecordedEvent[]) => void | Promise<void>;
}

export interface RelayOptions {
  /** Checkpoint name; two relays with the same name share (and compare-and-set) one checkpoint. */
  name?: string;
  batchSize?: number;
  /** How long to wait before looking again when the log had nothing new (ms). */
  pollIntervalMs?: number;
  /** Wait after a failed publish or checkpoint write before trying again (ms). */
  retryDelayMs?: number;
  /** Topic name prefix (default `forge.`). */
  topicPrefix?: string;
  logger?: Logger;
  hooks?: RelayHooks;
}

export interface RelayStats {
  published: number;
  batches: number;
  /** Wall time spent on batches that carried events (read + publish + checkpoint), ms. */
  busyMs: number;
  /** published / busy seconds. */
  eventsPerSecond: number;
  checkpoint: GlobalCheckpoint;
}

/**
 * The outbox relay: the event store is the outbox. Reads the global log after its checkpoint, publishes each
 * event to `forge.<category>` (key = stream id, headers = event id, type, position) with an idempotent producer
 * and acks from all in-sync replicas, and stores the checkpoint only after the broker acknowledged. A crash in
 * between republishes the batch: consumers see the same event ids again and their inbox absorbs them.
 */
export class KafkaRelay {
  readonly name: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly logger: Logger;
  private readonly hooks: RelayHooks;
  private readonly topicPrefix: string;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly knownTopics = new Set<string>();
  private readonly waker = new Waker();
  private checkpoint: GlobalCheckpoint = { transactionId: '0', position: 0 };
  private running = false;
  private loop?: Promise<void>;
  /** Loop iterations started so far. */
  private iteration = 0;
  private idleWaiters: { after: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private failure?: Error;
  private stats_ = { published: 0, batches: 0, busyMs: 0 };

  constructor(
    private readonly store: EventStore,
    private readonly db: TransactionRunner,
    kafka: Kafka,
    options: RelayOptions = {},
  ) {
    this.name = options.name ?? 'kafka-relay';
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 20;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.logger = options.logger ?? defaultLogger('relay');
    this.hooks = options.hooks ?? {};
    this.topicPrefix = options.topicPrefix ?? TOPIC_PREFIX;
    // One request in flight keeps per-partition order even when the producer retries.
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    this.admin = kafka.admin();
  }

  async start(): Promise<void> {
    if (this.running) return;
    await Promise.all([this.producer.connect(), this.admin.connect()]);
    this.checkpoint = await loadCheckpoint(this.db, this.name);
    this.running = true;
    this.failure = undefined;
    this.loop = this.run();
    this.logger.info({ relay: this.name, checkpoint: this.checkpoint }, 'relay started');
  }

  /** Resolves once the relay has published everything visible when it was called; rejects if the relay died. */
  caughtUp(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.running) return Promise.reject(new Error(`relay ${this.name} is not running`));
    return new Promise((resolve, reject) => {
      this.idleWaiters.push({ after: this.iteration, resolve, reject });
      this.waker.wake();
    });
  }

  /** Ends the wait for new events at once (after an append, for lower latency than the poll interval). */
  notify(): void {
    this.waker.wake();
  }

  /** Resolves when the loop ended; rejects with the error that stopped it (a hook crash). */
  async finished(): Promise<void> {
    await this.loop;
    if (this.failure) throw this.failure;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.rejectWaiters(new Error(`relay ${this.name} stopped`));
  }

  stats(): RelayStats {
    const s = this.stats_;
    return { ...s, eventsPerSecond: s.busyMs > 0 ? (s.published * 1000) / s.busyMs : 0, checkpoint: { ...this.checkpoint } };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const index = ++this.iteration;
      let published: number;
      try {
        published = await this.publishBatch();
      } catch (err) {
        if (err instanceof RelayHookCrash) {
          this.failure = err.cause;
          this.running = false;
          this.logger.warn({ relay: this.name, err: err.cause }, 'relay stopped by its afterAck hook');
          this.rejectWaiters(err.cause);
          break;
        }
        this.logger.error({ relay: this.name, err }, 'relay batch failed; retrying from the stored checkpoint');
        this.checkpoint = await loadCheckpoint(this.db, this.name).catch(() => this.checkpoint);
        await this.waker.sleep(this.retryDelayMs);
        continue;
      }
      if (published === 0) {
        this.resolveWaiters(index);
        await this.waker.sleep(this.pollIntervalMs);
      }
    }
  }

  /** Publishes one batch after the checkpoint; returns how many events it carried. */
  private async publishBatch(): Promise<number> {
    const t0 = performance.now();
    const events = await this.store.readAll({ after: this.checkpoint, limit: this.batchSize });
    if (events.length === 0) return 0;
    const byTopic = new Map<string, TopicMessages>();
    for (const e of events) {
      const topic = topicFor(categoryOf(e.streamId), this.topicPrefix);
      let tm = byTopic.get(topic);
      if (!tm) byTopic.set(topic, (tm = { topic, messages: [] }));
      tm.messages.push(encodeEvent(e));
    }
    await this.ensureTopics([...byTopic.keys()]);
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] });
    if (this.hooks.afterAck) {
      try {
        await this.hooks.afterAck(events);
      } catch (err) {
        throw new RelayHookCrash(err as Error);
      }
    }
    const last = events[events.length - 1];
    const next: GlobalCheckpoint = { transactionId: last.transactionId, position: last.position };
    const stored = await storeCheckpoint(this.db, this.name, this.checkpoint, next, events.length);
    if (!stored) {
      // Another relay with this name moved the checkpoint: continue from where it stands (duplicates are absorbed).
      this.logger.warn({ relay: this.name }, 'relay checkpoint moved by another instance; reloading');
      this.checkpoint = await loadCheckpoint(this.db, this.name);
    } else {
      this.checkpoint = next;
    }
    this.stats_.published += events.length;
    this.stats_.batches++;
    this.stats_.busyMs += performance.now() - t0;
    return events.length;
  }

  /** Creates new topics explicitly and waits for their leaders, so the first send does not race auto-creation. */
  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    const existing = new Set(await this.admin.listTopics());
    const create = missing.filter((t) => !existing.has(t));
    if (create.length > 0) {
      await this.admin.createTopics({ topics: create.map((topic) => ({ topic })), waitForLeaders: true });
    }
    for (const t of missing) this.knownTopics.add(t);
  }

  /** An idle iteration that started after a waiter was registered proves everything visible then is published. */
  private resolveWaiters(iterationIndex: number): void {
    const keep: typeof this.idleWaiters = [];
    for (const w of this.idleWaiters) {
      if (iterationIndex > w.after) w.resolve();
      else keep.push(w);
    }
    this.idleWaiters = keep;
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.idleWaiters) w.reject(err);
    this.idleWaiters = [];
  }
}

class RelayHookCrash extends Error {
  constructor(override readonly cause: Error) {
    super(`relay hook crashed: ${cause.message}`);
  }
}
