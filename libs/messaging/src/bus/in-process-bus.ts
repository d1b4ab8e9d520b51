import type { EventStore, GlobalCheckpoint } from '@forge/event-store';
import { loadCheckpoint, storeCheckpointIn } from '../checkpoint';
import { categoryOf, toIntegrationEvent, type IntegrationEvent } from '../integration-event';
import { defaultLogger, type Logger } from '../logger';
import { Waker } from '../sleep';
import type { TransactionRunner } from '../sql';
import { claimInbox } from './inbox';
import type { ConsumerDefinition, IntegrationBus, RunningConsumer } from './port';

export interface InProcessBusOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  retryDelayMs?: number;
  logger?: Logger;
}

/**
 * Embedded mode: each consumer is a catch-up subscription on the event store's global log. A batch's effects,
 * inbox rows and the consumer's checkpoint commit in one transaction, so a crash replays the batch or nothing.
 */
export class InProcessBus implements IntegrationBus {
  private readonly consumers = new Set<InProcessConsumer>();
  private readonly logger: Logger;

  constructor(
    private readonly store: EventStore,
    private readonly db: TransactionRunner,
    private readonly options: InProcessBusOptions = {},
  ) {
    this.logger = options.logger ?? defaultLogger('in-process-bus');
  }

  async start(def: ConsumerDefinition): Promise<RunningConsumer> {
    const consumer = new InProcessConsumer(this.store, this.db, def, this.options, this.logger, () => this.consumers.delete(consumer));
    await consumer.start();
    this.consumers.add(consumer);
    return consumer;
  }

  /** Wakes every consumer now (call after an append for lower latency than the poll interval). */
  notify(): void {
    for (const c of this.consumers) c.notify();
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }
}

class InProcessConsumer implements RunningConsumer {
  readonly name: string;
  private readonly categories: Set<string>;
  private readonly checkpointName: string;
  private readonly waker = new Waker();
  private checkpoint: GlobalCheckpoint = { transactionId: '0', position: 0 };
  private running = false;
  private afterCommitOwed = false;
  private loop?: Promise<void>;
  private iteration = 0;
  private waiters: { after: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly db: TransactionRunner,
    private readonly def: ConsumerDefinition,
    private readonly options: InProcessBusOptions,
    private readonly logger: Logger,
    private readonly onStop: () => void,
  ) {
    this.name = def.name;
    this.categories = new Set(def.categories);
    this.checkpointName = `consumer:${def.name}`;
  }

  async start(): Promise<void> {
    this.checkpoint = await loadCheckpoint(this.db, this.checkpointName);
    // Work recorded before a crash but not yet carried out.
    if (this.def.afterCommit) await this.def.afterCommit();
    this.running = true;
    this.loop = this.run();
  }

  notify(): void {
    this.waker.wake();
  }

  caughtUp(): Promise<void> {
    if (!this.running) return Promise.reject(new Error(`consumer ${this.name} is not running`));
    return new Promise((resolve, reject) => {
      this.waiters.push({ after: this.iteration, resolve, reject });
      this.waker.wake();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop;
    for (const w of this.waiters) w.reject(new Error(`consumer ${this.name} stopped`));
    this.waiters = [];
    this.onStop();
  }

  private async run(): Promise<void> {
    const pollIntervalMs = this.options.pollIntervalMs ?? 20;
    while (this.running) {
      const index = ++this.iteration;
      let handled: number;
      try {
        handled = await this.handleBatch();
      } catch (err) {
        this.logger.error({ consumer: this.name, err }, 'consumer batch failed; retrying from its checkpoint');
        this.checkpoint = await loadCheckpoint(this.db, this.checkpointName).catch(() => this.checkpoint);
        await this.waker.sleep(this.options.retryDelayMs ?? 500);
        continue;
      }
      if (handled === 0) {
        const keep = [];
        for (const w of this.waiters) {
          if (index > w.after) w.resolve();
          else keep.push(w);
        }
        this.waiters = keep;
        await this.waker.sleep(pollIntervalMs);
      }
    }
  }

  /** Returns how many events the batch read (handled or skipped). */
  private async handleBatch(): Promise<number> {
    const events = await this.store.readAll({ after: this.checkpoint, limit: this.options.batchSize ?? 200 });
    if (events.length === 0) {
      if (this.afterCommitOwed && this.def.afterCommit) {
        await this.def.afterCommit();
        this.afterCommitOwed = false;
      }
      return 0;
    }
    const last = events[events.length - 1];
    const next: GlobalCheckpoint = { transactionId: last.transactionId, position: last.position };
    const wanted: IntegrationEvent[] = events.filter((e) => this.categories.has(categoryOf(e.streamId))).map(toIntegrationEvent);
    let effects = 0;
    const moved = await this.db.transaction(async (tx) => {
      for (const event of wanted) {
        if (!(await claimInbox(tx, this.name, event))) continue;
        await this.def.handle(event, tx);
        effects++;
      }
      const ok = await storeCheckpointIn(tx, this.checkpointName, this.checkpoint, next, events.length);
      // Another instance of this consumer moved the checkpoint: undo this batch and follow it.
      if (!ok) throw new CheckpointMoved();
      return ok;
    }).catch(async (err) => {
      if (!(err instanceof CheckpointMoved)) throw err;
      this.logger.warn({ consumer: this.name }, 'checkpoint moved by another instance; reloading');
      this.checkpoint = await loadCheckpoint(this.db, this.checkpointName);
      return false;
    });
    if (moved) {
      this.checkpoint = next;
      if ((effects > 0 || this.afterCommitOwed) && this.def.afterCommit) {
        // Owed until it succeeds once: a failed run must not wait for the next new event.
        this.afterCommitOwed = true;
        await this.def.afterCommit();
        this.afterCommitOwed = false;
      }
    }
    return events.length;
  }
}

class CheckpointMoved extends Error {}
