import type { EventStore, GlobalCheckpoint, RecordedEvent } from '@forge/event-store';

/** Every visible event in the store's global order, page by page. */
export async function* allEvents(store: EventStore, pageSize = 5000): AsyncGenerator<RecordedEvent> {
  let after: GlobalCheckpoint | undefined;
  for (;;) {
    const page = await store.readAll({ after, limit: pageSize });
    for (const e of page) yield e;
    if (page.length < pageSize) return;
    const last = page[page.length - 1];
    after = { transactionId: last.transactionId, position: last.position };
  }
}

export async function collectEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of allEvents(store)) out.push(e);
  return out;
}
