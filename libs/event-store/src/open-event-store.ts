import { openPgliteEventStore } from './pglite/pglite-event-store';
import { openPostgresEventStore } from './postgres/postgres-event-store';
import type { SqlEventStore } from './sql-event-store';

export interface EventStoreConfig {
  /** A PostgreSQL server; when absent the embedded store is used. */
  databaseUrl?: string;
  /** The data folder (FORGE_DATA_DIR); the embedded store lives in `<dataDir>/eventstore`. */
  dataDir?: string;
}

/** PostgreSQL when databaseUrl is set, else PGlite in the data folder (in memory when neither is given). */
export function openEventStore(config: EventStoreConfig): Promise<SqlEventStore> {
  if (config.databaseUrl) return openPostgresEventStore(config.databaseUrl);
  return openPgliteEventStore(config.dataDir);
}
