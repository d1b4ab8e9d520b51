// Events and commands are plain typed data, not classes: the same object goes to the store,
// to Kafka and into a test. Types are aliases (not interfaces) so that they stay assignable to
// the store's JSON object type.

export type ActorKind = 'expert' | 'operator' | 'auditor' | 'admin' | 'system';

export type Actor = { kind: ActorKind; id: string };

/** Who asked, why, and when. `occurredAt` is passed in: nothing in the domain reads the clock. */
export type CommandMetadata = {
  actor: Actor;
  reason?: string;
  correlationId: string;
  causationId?: string;
  /** ISO 8601 instant. */
  occurredAt: string;
};

export type EventMetadata = CommandMetadata & {
  /** Version of the event's data shape; bump it when a field changes meaning. */
  schemaVersion: number;
};

export type Event<Type extends string, Data extends Record<string, unknown>> = {
  type: Type;
  data: Data;
  metadata: EventMetadata;
};

export type Command<Type extends string, Data extends Record<string, unknown>> = {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
};

/** Schema version written by this code for every event it creates. */
export const CURRENT_SCHEMA_VERSION = 1;

/** Event metadata derived from the command that caused it. */
export function eventMetadata(command: { metadata: CommandMetadata }): EventMetadata {
  return { ...command.metadata, schemaVersion: CURRENT_SCHEMA_VERSION };
}
