import type { PGlite } from '@electric-sql/pglite';
import type { SqlTransaction } from '../port';
import type { SqlDatabase } from '../sql-database';

/**
 * PGlite is one connection: every statement and transaction goes through one queue, so a transaction
 * never sees another caller's statement in the middle. Inside withTransaction use the tx, not the store.
 */
export class PgliteDatabase implements SqlDatabase {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly pg: PGlite) {}

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> {
    return this.enqueue(() => this.pg.query<R>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    await this.enqueue(() => this.pg.exec(sql));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.enqueue(() => this.pg.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params as unknown[]) as never })));
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const unlisten = await this.enqueue(() => this.pg.listen(channel, () => onNotify()));
    return () => this.enqueue(() => unlisten());
  }

  async close(): Promise<void> {
    await this.enqueue(() => this.pg.close());
  }
}
