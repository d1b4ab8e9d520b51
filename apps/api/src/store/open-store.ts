import { openEventStore } from '@forge/event-store';
import type { ApiConfig } from '../config/api-config';
import type { EventStore } from './port';

/** PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export function openStore(config: ApiConfig): Promise<EventStore> {
  return openEventStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}
