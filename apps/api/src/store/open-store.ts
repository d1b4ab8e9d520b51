import { openEventStore } from '@forge/event-store';
import type { ApiConfig } from '../config/api-config';
import type { SqlEventStore } from './port';

/** PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export function openStore(config: ApiConfig): Promise<SqlEventStore> {
  return openEventStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}
