import type { PoolConfig } from 'pg';
import { SqlEventStoreBase } from '../sql-event-store';
import { PostgresDatabase } from './postgres-database';

/** The event store on a PostgreSQL 13+ server (the regulated setup: fsync, backups, many processes). */
export class PostgresEventStore extends SqlEventStoreBase {
  private constructor(readonly database: PostgresDatabase) {
    super('postgres', database);
  }

  static async open(config: PoolConfig): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(new PostgresDatabase(config));
    try {
      await store.migrate();
    } catch (err) {
      await store.database.close().catch(() => undefined);
      throw err;
    }
    return store;
  }
}

/** Opens (and migrates) the store at a postgres:// URL. */
export function openPostgresEventStore(url: string, options: Omit<PoolConfig, 'connectionString'> = {}): Promise<PostgresEventStore> {
  return PostgresEventStore.open({ max: 10, ...options, connectionString: url });
}
