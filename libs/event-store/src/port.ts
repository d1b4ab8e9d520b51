// The event store port. Adapters (PostgreSQL server, PGlite embedded) share one SQL schema
// and pass the same contract suite. Domain code never sees this module; apps wire it up.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An event to append: plain data, the same object goes to the store, Kafka and a test. */
export interface NewEvent {
  /** Unique event id (uuid). Appending the same id with the same content again is a no-op. */
  id: string;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

export interface RecordedEvent extends NewEvent {
  streamId: string;
  /** 1-based version inside the stream, without gaps. */
  streamVersion: number;
  /** Global position from a sequence: unique, but NOT commit order. */
  position: number;
  /** Writing transaction id (xid8, as a decimal string). Readers order by (transactionId, position). */
  transactionId: string;
  /** sha256(prevHash ‖ canonical event), hex. */
  hash: string;
  prevHash: string;
  /** Time the row was stored (ISO), from the database clock. */
  recordedAt: string;
}

/** 'no_stream': must not exist; 'stream_exists': must exist; 'any': no check; a number: the exact current version (0 = empty). */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendResult {
  streamId: string;
  /** Stream version after the append (pass it as the next expected version). */
  streamVersion: number;
  /** Global positions of the appended (or previously stored, on an idempotent retry) events. */
  positions: number[];
}

/** Where a reader of the global log stands: strictly after this (transactionId, position). */
export interface GlobalCheckpoint {
  transactionId: string;
  position: number;
}

export const START: GlobalCheckpoint = { transactionId: '0', position: 0 };

/** A SQL executor bound to one open transaction, handed to subscribers for their effects. */
export interface SqlTransaction {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface SubscriptionOptions {
  /** Batch size per read. */
  batchSize?: number;
  /** Polling interval when no notification arrives (ms). */
  pollIntervalMs?: number;
}

export type SubscriptionHandler = (events: RecordedEvent[], tx: SqlTransaction) => Promise<void>;

export interface Subscription {
  /** Resolves when the subscriber has processed everything visible now. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface VerifyProblem {
  streamId: string;
  streamVersion: number;
  position: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  streams: number;
  events: number;
  /** The first broken link, by (stream, version); absent when ok. */
  firstProblem?: VerifyProblem;
  problems: VerifyProblem[];
  seals: { checked: number; broken: number };
}

export interface Seal {
  id: number;
  /** Highest global position covered. */
  upToPosition: number;
  /** sha256 over all stream heads (stream id, version, hash) in stream-id order, chained to the previous seal. */
  hash: string;
  sealedAt: string;
}

/** One stream's part of a multi-stream append. */
export interface StreamBatch {
  streamId: string;
  events: NewEvent[];
  expectedVersion?: ExpectedVersion;
}

export interface ReadAllOptions {
  after?: GlobalCheckpoint;
  limit?: number;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], expectedVersion?: ExpectedVersion): Promise<AppendResult>;
  /** Several streams in one transaction: every batch is stored, or none (results in the order given). */
  appendToStreams(batches: StreamBatch[]): Promise<AppendResult[]>;
  readStream(streamId: string, options?: { fromVersion?: number; toVersion?: number }): Promise<RecordedEvent[]>;
  /** Events visible to every reader (transaction id below the snapshot's xmin), ordered by (transactionId, position). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Runs the handler with batches of new events; the named checkpoint is stored in the handler's transaction. */
  subscribe(name: string, handler: SubscriptionHandler, options?: SubscriptionOptions): Subscription;
  verify(): Promise<VerifyReport>;
  seal(): Promise<Seal>;
  close(): Promise<void>;
}
