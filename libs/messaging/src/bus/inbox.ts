import type { SqlTransaction } from '@forge/event-store';
import type { IntegrationEvent } from '../integration-event';

/**
 * Records that `consumer` handles `event`, inside the transaction of the effect. False when it was handled
 * before: the caller skips the effect. A concurrent duplicate waits on the primary key until the first commits.
 */
export async function claimInbox(tx: SqlTransaction, consumer: string, event: IntegrationEvent): Promise<boolean> {
  const { rows } = await tx.query(
    `insert into messaging_inbox (consumer, event_id, position) values ($1, $2, $3)
     on conflict (consumer, event_id) do nothing
     returning event_id`,
    [consumer, event.eventId, event.position],
  );
  return rows.length === 1;
}
