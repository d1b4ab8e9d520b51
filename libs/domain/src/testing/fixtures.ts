import type { Actor, CommandMetadata, EventMetadata } from '../shared/event';
import { CURRENT_SCHEMA_VERSION } from '../shared/event';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);
export const SHA_C = 'c'.repeat(64);

export const operator: Actor = { kind: 'operator', id: 'op-1' };

/** Command metadata at a given instant. */
export function at(occurredAt: string, actor: Actor = operator): CommandMetadata {
  return { actor, correlationId: 'corr-1', occurredAt };
}

/** The event metadata a decider writes for a command with `at(occurredAt, actor)`. */
export function written(occurredAt: string, actor: Actor = operator): EventMetadata {
  return { ...at(occurredAt, actor), schemaVersion: CURRENT_SCHEMA_VERSION };
}
