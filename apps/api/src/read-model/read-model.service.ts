import { Inject, Injectable } from '@nestjs/common';
import { START, type EventStore, type GlobalCheckpoint } from '../store/port';
import { EVENT_STORE } from '../store/event-store.token';
import { ImagesProjection } from '../images/images.projection';
import { TasksProjection } from '../tasks/tasks.projection';
import { UsersProjection } from '../users/users.projection';
import type { Projection } from './projection';

const BATCH = 2000;

/**
 * The API's read models, kept in memory and caught up from the global log before each query,
 * so a client reads its own writes. Rebuilt from position 0 at start-up.
 */
@Injectable()
export class ReadModel {
  readonly users = new UsersProjection();
  readonly images = new ImagesProjection();
  readonly tasks = new TasksProjection();
  private readonly projections: Projection[] = [this.users, this.images, this.tasks];
  private checkpoint: GlobalCheckpoint = START;
  private running: Promise<void> = Promise.resolve();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Applies every event committed since the last call. Calls are serialised. */
  catchUp(): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.readNew());
    return this.running;
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const batch = await this.store.readAll({ after: this.checkpoint, limit: BATCH });
      for (const event of batch) {
        for (const p of this.projections) if (p.handles.has(event.type)) p.apply(event);
      }
      if (batch.length === 0) return;
      const last = batch[batch.length - 1];
      this.checkpoint = { transactionId: last.transactionId, position: last.position };
      if (batch.length < BATCH) return;
    }
  }
}
