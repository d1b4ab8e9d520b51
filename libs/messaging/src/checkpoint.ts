import type { GlobalCheckpoint, SqlTransaction } from '@forge/event-store';
import type { TransactionRunner } from './sql';

// A reader of the global log (the relay, an in-process consumer) keeps its position in messaging_checkpoint.

export async function loadCheckpoint(db: TransactionRunner, name: string): Promise<GlobalCheckpoint> {
  return db.transaction(async (tx) => {
    await tx.query(
      `insert into messaging_checkpoint (name, transaction_id, position) values ($1, '0', 0) on conflict (name) do nothing`,
      [name],
    );
    const { rows } = await tx.query<{ transaction_id: string; position: string | number }>(
      `select transaction_id, position from messaging_checkpoint where name = $1`,
      [name],
    );
    return { transactionId: String(rows[0].transaction_id), position: Number(rows[0].position) };
  });
}

/** Compare-and-set inside the caller's transaction: false when another instance of the same reader moved it since `expected`. */
export async function storeCheckpointIn(
  tx: SqlTransaction,
  name: string,
  expected: GlobalCheckpoint,
  next: GlobalCheckpoint,
  handled: number,
): Promise<boolean> {
  const { rows } = await tx.query(
    `update messaging_checkpoint
        set transaction_id = $4, position = $5, handled = handled + $6, updated_at = now()
      where name = $1 and transaction_id = $2 and position = $3
      returning name`,
    [name, expected.transactionId, expected.position, next.transactionId, next.position, handled],
  );
  return rows.length === 1;
}

export function storeCheckpoint(
  db: TransactionRunner,
  name: string,
  expected: GlobalCheckpoint,
  next: GlobalCheckpoint,
  handled: number,
): Promise<boolean> {
  return db.transaction((tx) => storeCheckpointIn(tx, name, expected, next, handled));
}
