import type { SqlTransaction } from '@forge/event-store';

/** Runs a function inside one database transaction of the event store's database: commit on return, rollback on throw. */
export interface TransactionRunner {
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}
