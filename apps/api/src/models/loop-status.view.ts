import { START, type EventStore, type GlobalCheckpoint } from '../store/port';
import { LOOP_STATUS_TYPES, LoopStatusFold, type LoopRecordStatus } from './loop-status';
import type { RunView } from './training-runs.view';

/** The loop's status as the operator's page shows it: the record's facts plus the training runs at work. */
export interface LoopStatus extends LoopRecordStatus {
  runs: Record<RunView['status'], number>;
  /** The newest run still training, with its progress. */
  activeRun: Pick<RunView, 'runId' | 'model' | 'lastStep' | 'plannedSteps' | 'startedAt'> | null;
}

const BATCH = 2000;

/** LoopStatusFold over the global log, caught up before each read (as TrainingRunsView does). */
export class LoopStatusView {
  private readonly fold = new LoopStatusFold();
  private checkpoint: GlobalCheckpoint = START;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly store: EventStore) {}

  async status(runs: RunView[]): Promise<LoopStatus> {
    this.running = this.running.catch(() => undefined).then(() => this.readNew());
    await this.running;
    const counts: LoopStatus['runs'] = { Triggered: 0, Running: 0, Completed: 0, Failed: 0 };
    for (const r of runs) counts[r.status]++;
    // `runs` comes newest first.
    const active = runs.find((r) => r.status === 'Running');
    return {
      ...this.fold.status(),
      runs: counts,
      activeRun: active ? { runId: active.runId, model: active.model, lastStep: active.lastStep, plannedSteps: active.plannedSteps, startedAt: active.startedAt } : null,
    };
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const batch = await this.store.readAll({ after: this.checkpoint, limit: BATCH });
      for (const e of batch) if (LOOP_STATUS_TYPES.has(e.type)) this.fold.apply(e);
      if (batch.length === 0) return;
      const last = batch[batch.length - 1];
      this.checkpoint = { transactionId: last.transactionId, position: last.position };
      if (batch.length < BATCH) return;
    }
  }
}
