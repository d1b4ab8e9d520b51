import { InvalidEventError } from './errors';
import type { ExpectedVersion, NewEvent } from './port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks what the database would otherwise reject late or store ambiguously; ids come back lower-case. */
export function validateAppend(streamId: string, events: NewEvent[], expected: ExpectedVersion): NewEvent[] {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 500) {
    throw new InvalidEventError(`stream id must be a non-empty string of at most 500 characters, got ${JSON.stringify(streamId)}`);
  }
  if (!(expected === 'any' || expected === 'no_stream' || expected === 'stream_exists' || (Number.isInteger(expected) && expected >= 0))) {
    throw new InvalidEventError(`stream '${streamId}': expected version must be 'any', 'no_stream', 'stream_exists' or an integer ≥ 0, got ${JSON.stringify(expected)}`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidEventError(`stream '${streamId}': an append needs at least one event`);
  }
  const seen = new Set<string>();
  return events.map((e, i) => {
    const where = `stream '${streamId}', event #${i}`;
    if (!isPlainObject(e)) throw new InvalidEventError(`${where}: not an object`);
    if (typeof e.id !== 'string' || !UUID.test(e.id)) throw new InvalidEventError(`${where}: id must be a uuid, got ${JSON.stringify(e.id)}`);
    const id = e.id.toLowerCase();
    if (seen.has(id)) throw new InvalidEventError(`${where}: id ${id} appears twice in the batch`);
    seen.add(id);
    if (typeof e.type !== 'string' || e.type.length === 0) throw new InvalidEventError(`${where}: type must be a non-empty string`);
    if (!isPlainObject(e.data)) throw new InvalidEventError(`${where} (${e.type}): data must be a plain object`);
    if (!isPlainObject(e.metadata)) throw new InvalidEventError(`${where} (${e.type}): metadata must be a plain object`);
    return { id, type: e.type, data: e.data, metadata: e.metadata };
  });
}
