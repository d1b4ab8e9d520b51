import { openPostgresEventStore, type SqlEventStore } from '@forge/event-store';
import type { TransactionRunner } from '../sql';

/** The PostgreSQL event store on a test database; it is its own transaction runner. */
export async function openStore(url: string): Promise<{ store: SqlEventStore; db: TransactionRunner }> {
  const store = await openPostgresEventStore(url);
  return { store, db: store };
}
