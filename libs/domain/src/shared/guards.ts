import { DomainError, type DomainErrorCode } from './errors';

// Small explicit checks for command data. Each names the field and the reason, and throws a
// DomainError (INVALID_INPUT unless told otherwise), so the API can answer 400 with the message.

export function invalid(field: string, reason: string, code: DomainErrorCode = 'INVALID_INPUT'): never {
  throw new DomainError(code, `${field}: ${reason}`, { field, reason });
}

export function requireText(field: string, value: unknown, maxLength = 10_000): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(field, 'must be a non-empty string');
  if (value.length > maxLength) invalid(field, `must be at most ${maxLength} characters`);
  return value;
}

export function requireString(field: string, value: unknown, maxLength = 10_000): string {
  if (typeof value !== 'string') invalid(field, 'must be a string');
  if (value.length > maxLength) invalid(field, `must be at most ${maxLength} characters`);
  return value;
}

export function requireFinite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, 'must be a finite number');
  return value;
}

export function requireInt(field: string, value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) invalid(field, 'must be an integer');
  if (value < min || value > max) invalid(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function requireInRange(field: string, value: unknown, min: number, max: number): number {
  const n = requireFinite(field, value);
  if (n < min || n > max) invalid(field, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function requireSha256(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) invalid(field, 'must be a lowercase hex sha256');
  return value;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function requireIsoTime(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    invalid(field, 'must be an ISO 8601 instant with a time zone');
  }
  return value;
}

/** Milliseconds since the epoch of an ISO instant (already validated). */
export function instant(iso: string): number {
  return Date.parse(iso);
}

export function requireStringArray(field: string, value: unknown, maxItems = 100, maxLength = 200): string[] {
  if (!Array.isArray(value)) invalid(field, 'must be an array of strings');
  if (value.length > maxItems) invalid(field, `must have at most ${maxItems} items`);
  value.forEach((item, i) => requireString(`${field}[${i}]`, item, maxLength));
  return value as string[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Named finite numbers (loss, ECE, FD-fundus…). */
export function requireMetrics(field: string, metrics: unknown): Record<string, number> {
  if (!isPlainObject(metrics)) invalid(field, 'must be an object of names to numbers');
  for (const [name, value] of Object.entries(metrics)) requireFinite(`${field}.${name}`, value);
  return metrics as Record<string, number>;
}
