import { randomUUID } from 'node:crypto';
import type { EventStore, JsonObject, NewEvent } from './port';
import { CURRENT_SCHEMA_VERSION, type CommandMetadata, type Decider } from '@forge/domain';

type PlainEvent = { type: string; data: object; metadata?: object };

export interface Appended<Event> {
  events: Event[];
  streamVersion: number;
  positions: number[];
}

/**
 * The whole of a command handler: load the stream, fold it into state, decide, append with the
 * version that was read. A concurrent writer makes the append fail with WRONG_EXPECTED_VERSION (409).
 */
export async function decideAndAppend<S, C extends { metadata: CommandMetadata }, E extends PlainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
): Promise<Appended<E>> {
  const recorded = await store.readStream(streamId);
  const state = recorded.reduce((s, r) => decider.evolve(s, r as unknown as E), decider.initialState());
  const version = recorded.length ? recorded[recorded.length - 1].streamVersion : 0;
  const events = decider.decide(command, state);
  if (events.length === 0) return { events, streamVersion: version, positions: [] };
  const toAppend: NewEvent[] = events.map((e) => ({
    id: randomUUID(),
    type: e.type,
    data: e.data as JsonObject,
    // Deciders copy the command's metadata; where one does not, the command's is used.
    metadata: (e.metadata ?? { ...command.metadata, schemaVersion: CURRENT_SCHEMA_VERSION }) as JsonObject,
  }));
  const result = await store.append(streamId, toAppend, version === 0 ? 'no_stream' : version);
  return { events, streamVersion: result.streamVersion, positions: result.positions };
}
