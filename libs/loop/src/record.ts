import { randomUUID } from 'node:crypto';
import type { EventStore, JsonObject, RecordedEvent } from '@forge/event-store';
import { foldState, type CommandMetadata, type Decider } from '@forge/domain';

/** The loop records every change as the system, with the step's reason and one correlation id per run. */
export interface Recorder {
  store: EventStore;
  correlationId: string;
  /** Time source for `occurredAt` (the deciders never read the clock themselves). */
  now: () => Date;
}

export function systemMetadata(recorder: Recorder, reason: string): CommandMetadata {
  return { actor: { kind: 'system', id: 'forge-loop' }, reason, correlationId: recorder.correlationId, occurredAt: recorder.now().toISOString() };
}

type PlainEvent = { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> };

/** Recorded events as the domain sees them. */
export function domainEvents<E>(recorded: readonly RecordedEvent[]): E[] {
  return recorded.map((r) => ({ type: r.type, data: r.data, metadata: r.metadata }) as unknown as E);
}

/**
 * One command handler: load the stream, fold, decide, append with the expected version.
 * Returns the appended events with their positions (none when the decider found nothing to do).
 */
export async function handle<S, C, E extends PlainEvent>(recorder: Recorder, streamId: string, decider: Decider<S, C, E>, command: C): Promise<RecordedEvent[]> {
  const recorded = await recorder.store.readStream(streamId);
  const events = decider.decide(command, foldState(decider, domainEvents<E>(recorded)));
  if (events.length === 0) return [];
  await recorder.store.append(
    streamId,
    events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as JsonObject, metadata: e.metadata as JsonObject })),
    recorded.length,
  );
  const after = await recorder.store.readStream(streamId, { fromVersion: recorded.length + 1 });
  return after;
}

/** The folded state of a stream, for steps that check whether their work is already recorded. */
export async function loadState<S, C, E extends PlainEvent>(recorder: Recorder, streamId: string, decider: Decider<S, C, E>): Promise<{ state: S; events: RecordedEvent[] }> {
  const events = await recorder.store.readStream(streamId);
  return { state: foldState(decider, domainEvents<E>(events)), events };
}
