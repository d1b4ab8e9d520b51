import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { ForgeConfig, loadConfig } from '@forge/config';
import { EventStore, openEventStore } from '@forge/event-store';
import type { CommandMetadata } from '@forge/domain';

/** Opens the configured event store (PostgreSQL when DATABASE_URL is set, else PGlite in the data folder), runs fn, closes it. */
export async function withStore<T>(fn: (store: EventStore, config: ForgeConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openEventStore(config);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/** Commands from the terminal are recorded as the operator at this terminal, with the reason given. */
export function cliMetadata(reason: string | undefined, now = new Date()): CommandMetadata {
  const id = process.env.FORGE_ACTOR ?? `${os.userInfo().username}@${os.hostname()}`;
  return { actor: { kind: 'operator', id }, reason, correlationId: randomUUID(), occurredAt: now.toISOString() };
}
