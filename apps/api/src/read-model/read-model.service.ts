import { Inject, Injectable } from '@nestjs/common';
import { START, type EventStore, type GlobalCheckpoint, type RecordedEvent } from '../store/port';
import { EVENT_STORE } from '../store/event-store.token';
import { ImagesProjection } from '../images/images.projection';
import { TasksProjection } from '../tasks/tasks.projection';
import { UsersProjection } from '../users/users.projection';
import { OwnWrites } from '../store/own-writes';
import type { Projection } from './projection';

const BATCH = 2000;

/**
 * The API's read models, kept in memory: events this process appends are applied at once (so a
 * client reads its own writes), everything is caught up from the global log before each query,
 * and each event is applied once, by its global position. Rebuilt from position 0 at start-up.
 * With several API processes, another process's writes appear once the global log delivers them.
 */
@Injectable()
export class ReadModel {
  readonly users = new UsersProjection();
  readonly images = new ImagesProjection();
  readonly tasks = new TasksProjection();
  private readonly projections: Projection[] = [this.users, this.images, this.tasks];
  private readonly applied = new Set<number>();
  private checkpoint: GlobalCheckpoint = START;
  private running: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    ownWrites: OwnWrites,
  ) {
    ownWrites.onAppended = (events) => events.forEach((e) => this.apply(e));
  }

  /** Applies every event committed since the last call. Calls are serialised. */
  catchUp(): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.readNew());
    return this.running;
  }

  private apply(event: RecordedEvent): void {
    if (this.applied.has(event.position)) return;
    this.applied.add(event.position);
    for (const p of this.projections) if (p.handles.has(event.type)) p.apply(event);
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const batch = await this.store.readAll({ after: this.checkpoint, limit: BATCH });
      batch.forEach((e) => this.apply(e));
      if (batch.length === 0) return;
      const last = batch[batch.length - 1];
      this.checkpoint = { transactionId: last.transactionId, position: last.position };
      if (batch.length < BATCH) return;
    }
  }
}
