import type { AsOf } from '@forge/domain';

/** `--as-of 42` is a global position; anything else must be an ISO 8601 time. */
export function parseAsOf(value: string): AsOf {
  if (/^\d+$/.test(value)) return { asOfPosition: Number(value) };
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value))) {
    return { asOfTime: new Date(value).toISOString() };
  }
  throw Object.assign(new Error(`--as-of must be a position (e.g. 42) or an ISO time (e.g. 2026-11-28T10:00:00Z), got '${value}'`), {
    code: 'INVALID_ARGUMENT',
  });
}
