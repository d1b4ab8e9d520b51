import { randomUUID } from 'node:crypto';
import type { EventStore, JsonObject, NewEvent } from './port';
import { CURRENT_SCHEMA_VERSION, type CommandMetadata, type Decider } from '@forge/domain';
import type { AggregateCache } from './aggregate-cache';

type PlainEvent = { type: string; data: object; metadata?: object };

export interface Appended<Event> {
  events: Event[];
  streamVersion: number;
  positions: number[];
}

/**
 * The whole of a command handler: load the stream, fold it into state, decide, append with the
 * version that was read. A concurrent writer makes the append fail with WRONG_EXPECTED_VERSION (409).
 *
 * With a cache, a state kept from this process's last read or write of the stream stands in for the
 * read, but only an append that succeeds on it counts: if the stream has moved (the append is refused),
 * or the decision on it is a refusal or no change, the command is decided again on a fresh read, exactly
 * as without the cache. A stale state can therefore neither store nor refuse anything.
 */
export async function decideAndAppend<S, C extends { metadata: CommandMetadata }, E extends PlainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
  cache?: AggregateCache<S>,
): Promise<Appended<E>> {
  const cached = cache?.get(streamId);
  if (cached) {
    const kept = await appendOnCached(store, streamId, decider, command, cached).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'WRONG_EXPECTED_VERSION') throw err;
      return undefined;
    });
    if (kept) {
      cache!.set(streamId, kept.state, kept.appended.streamVersion);
      return kept.appended;
    }
    cache!.delete(streamId);
  }
  const recorded = await store.readStream(streamId);
  const state = recorded.reduce((s, r) => decider.evolve(s, r as unknown as E), decider.initialState());
  const version = recorded.length ? recorded[recorded.length - 1].streamVersion : 0;
  let events: E[];
  try {
    events = decider.decide(command, state);
  } catch (err) {
    cache?.set(streamId, state, version);
    throw err;
  }
  if (events.length === 0) {
    cache?.set(streamId, state, version);
    return { events, streamVersion: version, positions: [] };
  }
  const appended = await append(store, streamId, command, events, version);
  cache?.set(streamId, events.reduce(decider.evolve, state), appended.streamVersion);
  return appended;
}

/** The decision on a cached state, stored; undefined when it is not an append (then the caller reads). */
async function appendOnCached<S, C extends { metadata: CommandMetadata }, E extends PlainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
  cached: { state: S; version: number },
): Promise<{ appended: Appended<E>; state: S } | undefined> {
  let events: E[];
  try {
    events = decider.decide(command, cached.state);
  } catch {
    return undefined; // a refusal on a state that may be stale is checked on a fresh read
  }
  if (events.length === 0) return undefined;
  const appended = await append(store, streamId, command, events, cached.version);
  return { appended, state: events.reduce(decider.evolve, cached.state) };
}

async function append<C extends { metadata: CommandMetadata }, E extends PlainEvent>(
  store: EventStore,
  streamId: string,
  command: C,
  events: E[],
  version: number,
): Promise<Appended<E>> {
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
