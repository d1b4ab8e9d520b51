import type { EventStore } from './port';
import type { ApiConfig } from '../config/api-config';
import { openInterimPgEventStore } from './interim-pg-event-store';

type OpenEventStore = (config: ApiConfig) => Promise<EventStore>;

/** The event store chosen by configuration: @forge/event-store's `openEventStore` when it exists. */
export async function openStore(config: ApiConfig): Promise<EventStore> {
  let open: OpenEventStore | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    open = (require('@forge/event-store') as { openEventStore?: OpenEventStore }).openEventStore;
  } catch {
    open = undefined;
  }
  if (open) return open(config);
  if (!config.databaseUrl) throw new Error('the event store library is not available and DATABASE_URL is not set');
  return openInterimPgEventStore(config.databaseUrl);
}
