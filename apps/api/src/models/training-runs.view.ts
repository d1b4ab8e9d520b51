import type { ModelKind } from '@forge/domain';
import { START, type EventStore, type GlobalCheckpoint, type RecordedEvent } from '../store/port';

/** One training run as the operator follows it: triggered → running (checkpoints) → completed or failed. */
export interface RunView {
  runId: string;
  model: ModelKind;
  status: 'Triggered' | 'Running' | 'Completed' | 'Failed';
  newRatings: number | null;
  dataUpToPosition: number | null;
  backend: string | null;
  /** Planned steps when the training config names them. */
  plannedSteps: number | null;
  lastStep: number;
  checkpoints: number;
  lastMetrics: Record<string, number>;
  version: string | null;
  error: string | null;
  triggeredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

const TYPES = new Set(['RetrainingTriggered', 'TrainingStarted', 'CheckpointSaved', 'TrainingCompleted', 'TrainingFailed']);
const BATCH = 2000;

/**
 * The loop's training runs, folded from the global log and caught up before each read
 * (the same read-your-writes pattern as the API's read model, kept beside the models routes).
 */
export class TrainingRunsView {
  private readonly runs = new Map<string, RunView>();
  private checkpoint: GlobalCheckpoint = START;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly store: EventStore) {}

  async list(): Promise<RunView[]> {
    this.running = this.running.catch(() => undefined).then(() => this.readNew());
    await this.running;
    return [...this.runs.values()].sort((a, b) => (b.triggeredAt ?? b.startedAt ?? '').localeCompare(a.triggeredAt ?? a.startedAt ?? ''));
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const batch = await this.store.readAll({ after: this.checkpoint, limit: BATCH });
      for (const e of batch) if (TYPES.has(e.type)) this.apply(e);
      if (batch.length === 0) return;
      const last = batch[batch.length - 1];
      this.checkpoint = { transactionId: last.transactionId, position: last.position };
      if (batch.length < BATCH) return;
    }
  }

  private apply(e: RecordedEvent): void {
    const d = e.data as Record<string, any>;
    const at = (e.metadata as { occurredAt?: string }).occurredAt ?? e.recordedAt;
    const run: RunView = this.runs.get(d.runId) ?? {
      runId: d.runId,
      model: d.model,
      status: 'Triggered',
      newRatings: null,
      dataUpToPosition: null,
      backend: null,
      plannedSteps: null,
      lastStep: 0,
      checkpoints: 0,
      lastMetrics: {},
      version: null,
      error: null,
      triggeredAt: null,
      startedAt: null,
      endedAt: null,
    };
    switch (e.type) {
      case 'RetrainingTriggered':
        Object.assign(run, { newRatings: d.newRatings, dataUpToPosition: d.upToPosition, triggeredAt: at });
        break;
      case 'TrainingStarted':
        Object.assign(run, {
          status: 'Running',
          model: d.model,
          backend: d.backend,
          dataUpToPosition: d.dataUpToPosition,
          plannedSteps: typeof d.config?.steps === 'number' ? d.config.steps : null,
          startedAt: at,
        });
        break;
      case 'CheckpointSaved':
        Object.assign(run, { lastStep: Math.max(run.lastStep, d.step), checkpoints: run.checkpoints + 1, lastMetrics: d.metrics ?? {} });
        break;
      case 'TrainingCompleted':
        Object.assign(run, { status: 'Completed', version: d.version, lastStep: Math.max(run.lastStep, d.steps), lastMetrics: d.metrics ?? run.lastMetrics, endedAt: at });
        break;
      case 'TrainingFailed':
        Object.assign(run, { status: 'Failed', error: d.error, endedAt: at });
        break;
    }
    this.runs.set(run.runId, run);
  }
}
