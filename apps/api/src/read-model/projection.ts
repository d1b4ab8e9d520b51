import type { RecordedEvent } from '../store/port';

/** A read model kept in memory: `apply` folds one recorded event; events of other types are skipped. */
export interface Projection {
  readonly handles: ReadonlySet<string>;
  apply(event: RecordedEvent): void;
}
