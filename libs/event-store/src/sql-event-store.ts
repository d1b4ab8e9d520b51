import { appendEvents, appendToStreams } from './append';
import type {
  AppendResult,
  EventStore,
  ExpectedVersion,
  GlobalCheckpoint,
  NewEvent,
  ReadAllOptions,
  RecordedEvent,
  SqlTransaction,
  Subscription,
  StreamBatch,
  SubscriptionHandler,
} from './port';
import { readAllAfter, readAllPages, readStreamEvents } from './read';
import { EVENTS_CHANNEL, MIGRATION_SQL } from './schema';
import { listSeals, sealIn, StoredSeal } from './seal';
import type { SqlDatabase } from './sql-database';
import { StreamHeadCache } from './stream-heads';
import { CoalescedNotify } from './coalesced-notify';
import { CatchUpOptions, CatchUpSubscription } from './subscription';
import { FullVerifyReport, verifyIn } from './verify';

export type EventStoreKind = 'postgres' | 'pglite';

/** The port plus what other libraries need to keep their tables (projections, inboxes) beside the events. */
export interface SqlEventStore extends EventStore {
  readonly kind: EventStoreKind;
  verify(): Promise<FullVerifyReport>;
  seal(): Promise<StoredSeal>;
  subscribe(name: string, handler: SubscriptionHandler, options?: CatchUpOptions): Subscription;
  /** One statement on the event store's database. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** A multi-statement script without parameters (e.g. CREATE TABLE IF NOT EXISTS … for a projection). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction (on PGlite, queued behind every other use of the single connection). */
  withTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Same as withTransaction (the shape of a plain transaction runner). */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** The visible log in reader order, page by page (for export and rebuilds). */
  readAllPages(options?: { after?: GlobalCheckpoint; pageSize?: number }): AsyncGenerator<RecordedEvent[]>;
  /** A subscription's stored checkpoint, undefined before its first run. */
  checkpoint(name: string): Promise<GlobalCheckpoint | undefined>;
  /**
   * Waits until these positions are visible to readers (readAll, subscriptions): an open transaction
   * anywhere in the cluster that is older than the append holds them back. Throws after timeoutMs.
   */
  waitUntilVisible(positions: number[] | AppendResult, timeoutMs?: number): Promise<void>;
  /** Current version of a stream (0 = no stream). */
  streamVersion(streamId: string): Promise<number>;
  seals(): Promise<StoredSeal[]>;
  /**
   * Calls onNotify on every notification on the channel, from this process or another, and once after
   * each (re)connection of the listening session (notices may have been missed meanwhile). Resolves to
   * a function that stops listening. The events channel is the store's own: use another name.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** Sends a notification on the channel to every listener (after the current statement commits). */
  notify(channel: string): Promise<void>;
}

const NOTICE_GAP_MS = 10;

/** A channel name is spliced into LISTEN: a plain lowercase identifier only, and never the store's own. */
function checkChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`notification channel '${channel}' must be a lowercase identifier (a-z, 0-9, _; at most 63 characters)`);
  if (channel === EVENTS_CHANNEL) throw new Error(`notification channel '${EVENTS_CHANNEL}' belongs to the event store's subscriptions`);
}

/** The adapter-independent store: everything is SQL, the same on the server and in PGlite. */
export class SqlEventStoreBase implements SqlEventStore {
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly heads = new StreamHeadCache();
  /** Subscribers wake at most NOTICE_GAP_MS after a commit; a busy writer sends one notice per gap, not one per append. */
  private readonly appendedNotice = new CoalescedNotify(() => this.db.query(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`), NOTICE_GAP_MS);
  private unlisten: Promise<() => Promise<void>> | undefined;
  private readonly listeners = new Set<() => Promise<void>>();
  private closed = false;

  protected constructor(
    readonly kind: EventStoreKind,
    protected readonly db: SqlDatabase,
    private readonly onClose: () => void | Promise<void> = () => undefined,
  ) {}

  /** Creates the schema when missing; safe to run from several processes at once. */
  async migrate(): Promise<void> {
    await this.db.exec(MIGRATION_SQL);
  }

  append(streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion = 'any'): Promise<AppendResult> {
    return appendEvents(this.db, this.heads, this.appendedNotice, streamId, events, expectedVersion);
  }

  appendToStreams(batches: StreamBatch[]): Promise<AppendResult[]> {
    return appendToStreams(this.db, this.heads, this.appendedNotice, batches);
  }

  async readStream(streamId: string, options?: { fromVersion?: number; toVersion?: number }): Promise<RecordedEvent[]> {
    const events = await readStreamEvents(this.db, streamId, options);
    // Read to its end, the stream's last event is its head: the append that usually follows (load, decide,
    // append) builds its chain on it without reading the head again. Should the stream move meanwhile, the
    // database refuses that append exactly as it refuses one built on any stale cache entry.
    if (options?.toVersion === undefined && events.length > 0) {
      const last = events[events.length - 1];
      this.heads.set(streamId, { version: last.streamVersion, hash: last.hash });
    }
    return events;
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return readAllAfter(this.db, options);
  }

  readAllPages(options?: { after?: GlobalCheckpoint; pageSize?: number }): AsyncGenerator<RecordedEvent[]> {
    return readAllPages(this.db, options);
  }

  subscribe(name: string, handler: SubscriptionHandler, options: CatchUpOptions = {}): Subscription {
    if (this.closed) throw new Error('the event store is closed');
    const ready = this.ensureListening();
    const sub = new CatchUpSubscription(this.db, name, handler, options, ready);
    this.subscriptions.add(sub);
    const stop = sub.stop.bind(sub);
    sub.stop = async () => {
      this.subscriptions.delete(sub);
      await stop();
    };
    return sub;
  }

  verify(): Promise<FullVerifyReport> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return verifyIn(tx);
    });
  }

  seal(): Promise<StoredSeal> {
    return this.db.transaction((tx) => sealIn(tx));
  }

  seals(): Promise<StoredSeal[]> {
    return listSeals(this.db);
  }

  async checkpoint(name: string): Promise<GlobalCheckpoint | undefined> {
    const r = await this.db.query<{ transaction_id: string; position: number | string }>(
      'SELECT transaction_id::text AS transaction_id, position FROM subscription_checkpoints WHERE name = $1',
      [name],
    );
    return r.rows.length ? { transactionId: r.rows[0].transaction_id, position: Number(r.rows[0].position) } : undefined;
  }

  async waitUntilVisible(positions: number[] | AppendResult, timeoutMs = 30_000): Promise<void> {
    const wanted = Array.isArray(positions) ? positions : positions.positions;
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      const r = await this.db.query<{ n: number | string }>(
        `SELECT count(*) AS n FROM events
         WHERE position IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
        [JSON.stringify(wanted)],
      );
      if (Number(r.rows[0].n) === wanted.length) return;
      if (Date.now() > deadline) {
        throw new Error(`positions ${wanted.join(', ')} are still not visible after ${timeoutMs} ms: an older open transaction holds readers back (see pg_stat_activity, xact_start)`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    const r = await this.db.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
    return r.rows.length ? Number(r.rows[0].version) : 0;
  }

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> {
    return this.db.query<R>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.db.exec(sql);
  }

  withTransaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    checkChannel(channel);
    if (this.closed) throw new Error('the event store is closed');
    const stop = await this.db.listen(channel, onNotify);
    let stopped: Promise<void> | undefined;
    const unlisten = () => {
      this.listeners.delete(unlisten);
      return (stopped ??= stop());
    };
    this.listeners.add(unlisten);
    return unlisten;
  }

  async notify(channel: string): Promise<void> {
    checkChannel(channel);
    await this.db.query(`SELECT pg_notify($1, '')`, [channel]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await Promise.all([...this.listeners].map((stop) => stop()));
    if (this.unlisten) await (await this.unlisten.catch(() => async () => undefined))();
    await this.db.close();
    await this.onClose();
  }

  /** One LISTEN per store, fanned out to its subscriptions. */
  private ensureListening(): Promise<unknown> {
    this.unlisten ??= this.db.listen(EVENTS_CHANNEL, () => {
      for (const s of this.subscriptions) s.notify();
    });
    // Without notifications the subscriptions still poll, so a failed LISTEN is not fatal.
    return this.unlisten.catch(() => undefined);
  }
}
