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

/**
 * Statements run on every read or append, by text → name. The PostgreSQL adapter sends them as named
 * prepared statements, parsed and planned once per connection instead of on every call (a stream read
 * costs the server about a third). Only fixed texts belong here: each one is kept on every connection.
 */
const HOT_STATEMENTS = new Map<string, string>();

/** Declares a hot statement (see HOT_STATEMENTS) and returns its text. */
export function hotStatement(name: string, sql: string): string {
  const known = [...HOT_STATEMENTS].find(([, n]) => n === name);
  if (known && known[0] !== sql) throw new Error(`hot statement '${name}' is declared twice with different texts`);
  HOT_STATEMENTS.set(sql, name);
  return sql;
}

/** The prepared-statement name of a hot statement, undefined for any other text. */
export function hotStatementName(sql: string): string | undefined {
  return HOT_STATEMENTS.get(sql);
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
