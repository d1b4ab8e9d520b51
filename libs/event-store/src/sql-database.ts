import type { SqlTransaction } from './port';

/** What the shared event-store code needs from a driver: the PostgreSQL pool or the single PGlite connection. */
export interface SqlDatabase {
  /** One statement in its own implicit transaction. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements, no parameters (schema scripts). */
  exec(sql: string): Promise<void>;
  /** Runs fn in BEGIN … COMMIT; any throw rolls back and is rethrown. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Calls onNotify for every NOTIFY on the channel; resolves to an unlisten function. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** PostgreSQL error codes we act on. */
export const UNIQUE_VIOLATION = '23505';

export function sqlErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

export function sqlConstraint(err: unknown): string | undefined {
  const c = (err as { constraint?: unknown })?.constraint;
  return typeof c === 'string' ? c : undefined;
}
