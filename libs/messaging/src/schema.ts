import type { TransactionRunner } from './sql';

// Readers' checkpoints (the relay, in-process consumers) and the consumers' inbox live in the event store's database, so a consumer's
// inbox row and its effect commit (or roll back) together.
export const MESSAGING_SCHEMA = `
create table if not exists messaging_checkpoint (
  name text primary key,
  transaction_id text not null,
  position bigint not null,
  handled bigint not null default 0,
  updated_at timestamptz not null default now()
);
create table if not exists messaging_inbox (
  consumer text not null,
  event_id text not null,
  position bigint not null,
  handled_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
`;

export async function ensureMessagingSchema(db: TransactionRunner): Promise<void> {
  await db.transaction(async (tx) => {
    // Serialise concurrent creators: CREATE TABLE IF NOT EXISTS is not race-free in PostgreSQL.
    await tx.query(`select pg_advisory_xact_lock(hashtext('forge.messaging.schema'))`);
    for (const statement of MESSAGING_SCHEMA.split(';').map((s) => s.trim()).filter(Boolean)) {
      await tx.query(statement);
    }
  });
}
