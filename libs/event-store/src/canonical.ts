// Canonical JSON for hashing (the rules of RFC 8785, JCS): object keys sorted by UTF-16 code units,
// no whitespace, numbers in ECMAScript shortest round-trip form, strings escaped as JSON.stringify does.
// jsonb reorders keys and re-prints numbers, so the hash must not depend on either.

export class NotCanonicalisableError extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(path: string, reason: string) {
    super(`cannot serialise ${path || 'value'} canonically: ${reason}`);
    this.name = 'NotCanonicalisableError';
  }
}

export function canonicalJson(value: unknown): string {
  try {
    return fast(value);
  } catch (err) {
    // Only the careful walk knows where the offending value sits: it throws with the path.
    if (err === UNFIT) return write(value, '');
    throw err;
  }
}

/** Thrown by `fast` at anything that is not plain JSON data; never leaves this module. */
const UNFIT = Symbol('not canonicalisable');

/** The same text as `write`, built without paths or intermediate arrays: it runs for every event hashed. */
function fast(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw UNFIT;
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          out += (i ? ',' : '') + (v === undefined ? 'null' : fast(v));
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw UNFIT;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort(byCodeUnits);
      let out = '{';
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + fast(v);
      }
      return out + '}';
    }
    default:
      throw UNFIT;
  }
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotCanonicalisableError(path, `${value} is not a JSON number`);
      // -0 prints as 0; otherwise the shortest representation that round-trips.
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) {
        // JSON.stringify (and so jsonb) turns holes and undefined in arrays into null.
        return '[' + value.map((v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`))).join(',') + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new NotCanonicalisableError(path, `a ${proto?.constructor?.name ?? 'non-plain'} object is not plain JSON data`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + write(obj[k], path ? `${path}.${k}` : k)).join(',') + '}';
    }
    default:
      throw new NotCanonicalisableError(path, `a ${typeof value} is not JSON data`);
  }
}
