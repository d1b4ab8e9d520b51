import type { SqlTransaction } from '@forge/event-store';
import type { IntegrationEvent } from '../integration-event';

/**
 * Handles one event inside a transaction of the event store's database; the inbox row that marks the event
 * as handled is written in the same transaction, so the effect happens once however often the event arrives.
 */
export type IntegrationHandler = (event: IntegrationEvent, tx: SqlTransaction) => Promise<void>;

export interface ConsumerDefinition {
  /** Stable name: the Kafka consumer group, the inbox key, the in-process checkpoint name. */
  name: string;
  /** Stream categories to receive (Kafka topics `forge.<category>`). */
  categories: string[];
  handle: IntegrationHandler;
  /**
   * Runs after the transaction of a handled event committed, outside it: the place to carry out work that
   * the handler recorded durably (it runs again on start, so it must be idempotent).
   */
  afterCommit?: () => Promise<void>;
}

export interface RunningConsumer {
  readonly name: string;
  /** Resolves once every event visible when called has been handled (or skipped as a duplicate). */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** Where consumers get events from: Kafka consumer groups (distributed) or the event store itself (embedded). */
export interface IntegrationBus {
  start(consumer: ConsumerDefinition): Promise<RunningConsumer>;
  close(): Promise<void>;
}
