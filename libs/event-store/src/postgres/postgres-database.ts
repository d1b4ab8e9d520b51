import { Client, Pool, PoolConfig } from 'pg';
import type { SqlTransaction } from '../port';
import { hotStatementName, type SqlDatabase } from '../sql-database';

/** A hot statement goes as a named prepared statement (see hotStatement), anything else as it is. */
function statement(sql: string, params: unknown[] | undefined) {
  const name = hotStatementName(sql);
  return name ? { name, text: sql, values: params } : { text: sql, values: params };
}

/** A pg Pool behind the SqlDatabase interface; LISTEN runs on its own connection that reconnects. */
export class PostgresDatabase implements SqlDatabase {
  readonly pool: Pool;
  private closed = false;

  constructor(private readonly config: PoolConfig) {
    this.pool = new Pool(config);
    // A backend that dies (restart, kill) must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> {
    return this.pool.query(statement(sql, params)) as unknown as Promise<{ rows: R[] }>;
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn({ query: (sql, params) => client.query(statement(sql, params)) as never });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error; // the connection is gone: do not return it to the pool
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    let client: Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let stopped = false;
    const connect = async (): Promise<void> => {
      const c = new Client(this.config);
      c.on('notification', (n) => n.channel === channel && onNotify());
      c.on('error', () => {
        // Lost the listening connection: subscriptions keep polling until it is back.
        c.end().catch(() => undefined);
        if (!stopped && !this.closed) retry = setTimeout(() => connect().catch(() => undefined), 1000);
      });
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      client = c;
      onNotify(); // events may have been appended while not listening
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end();
  }
}
