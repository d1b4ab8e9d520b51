import { CheckpointMovedError } from './errors';
import type { GlobalCheckpoint, Subscription, SubscriptionHandler, SubscriptionOptions } from './port';
import { checkpointOf, readAllAfter } from './read';
import type { SqlDatabase } from './sql-database';

export interface CatchUpOptions extends SubscriptionOptions {
  /** Called when a batch fails (the handler threw); the batch is retried after the polling interval. */
  onError?: (err: unknown) => void;
}

interface Waiter {
  /** Rounds started before caughtUp() was called; only a later empty round proves we are caught up. */
  afterRound: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A catch-up subscription: reads batches after its checkpoint, runs the handler and moves the checkpoint
 * (compare-and-set) in one transaction. Woken by NOTIFY; polls as the fallback.
 */
export class CatchUpSubscription implements Subscription {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private stopped = false;
  private rounds = 0;
  private wakePending = false;
  private wake: (() => void) | undefined;
  private waiters: Waiter[] = [];
  private readonly loop: Promise<void>;

  constructor(
    private readonly db: SqlDatabase,
    private readonly name: string,
    private readonly handler: SubscriptionHandler,
    private readonly options: CatchUpOptions,
    ready: Promise<unknown>,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.loop = ready.then(() => this.run());
    this.loop.catch((err) => this.settle(undefined, err));
  }

  /** Called for every NOTIFY on the events channel. */
  notify(): void {
    this.wakePending = true;
    this.wake?.();
  }

  caughtUp(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`subscription '${this.name}' is stopped`));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ afterRound: this.rounds, resolve, reject });
      this.notify();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop.catch(() => undefined);
    this.settle(undefined, new Error(`subscription '${this.name}' stopped before catching up`));
  }

  private async run(): Promise<void> {
    await this.db.query(
      `INSERT INTO subscription_checkpoints (name, transaction_id, position) VALUES ($1, '0', 0) ON CONFLICT (name) DO NOTHING`,
      [this.name],
    );
    let heldBackDelay = 0;
    while (!this.stopped) {
      const round = ++this.rounds;
      this.wakePending = false;
      let processed: number;
      try {
        processed = await this.processBatch();
      } catch (err) {
        if (err instanceof CheckpointMovedError) continue; // another instance is ahead: read again from its checkpoint
        this.options.onError?.(err);
        this.settle(round, err);
        await this.sleep(this.pollIntervalMs);
        continue;
      }
      if (processed === 0) {
        this.settle(round);
        // Committed events an older open transaction still hides: look again soon, backing off towards
        // the polling interval, rather than waiting for a notification that was already spent.
        const heldBack = await this.eventsHeldBack().catch(() => false);
        heldBackDelay = heldBack ? Math.min(heldBackDelay * 2 || 10, this.pollIntervalMs) : 0;
        await this.sleep(heldBack ? heldBackDelay : this.pollIntervalMs);
      } else {
        heldBackDelay = 0;
      }
    }
  }

  private async processBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const cp = await tx.query<{ transaction_id: string; position: number | string }>(
        'SELECT transaction_id::text AS transaction_id, position FROM subscription_checkpoints WHERE name = $1',
        [this.name],
      );
      if (cp.rows.length === 0) throw new CheckpointMovedError(this.name);
      const from: GlobalCheckpoint = { transactionId: cp.rows[0].transaction_id, position: Number(cp.rows[0].position) };
      const events = await readAllAfter(tx, { after: from, limit: this.batchSize });
      if (events.length === 0) return 0;
      await this.handler(events, { query: (sql, params) => tx.query(sql, params) });
      const to = checkpointOf(events[events.length - 1]);
      const moved = await tx.query(
        `UPDATE subscription_checkpoints SET transaction_id = $2::xid8, position = $3, updated_at = now()
         WHERE name = $1 AND transaction_id = $4::xid8 AND position = $5 RETURNING name`,
        [this.name, to.transactionId, to.position, from.transactionId, from.position],
      );
      if (moved.rows.length !== 1) throw new CheckpointMovedError(this.name);
      return events.length;
    });
  }

  /** Waits for a notification, a caughtUp() call, stop(), or the polling interval. */
  private async eventsHeldBack(): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM events WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot()) LIMIT 1');
    return r.rows.length > 0;
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Resolves (or rejects) the waiters that asked before `round` started; all of them when round is undefined. */
  private settle(round: number | undefined, err?: unknown): void {
    const due = this.waiters.filter((w) => round === undefined || w.afterRound < round);
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }
}
