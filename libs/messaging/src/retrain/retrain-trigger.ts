import { CURRENT_SCHEMA_VERSION, streams, type ModelKind, type RetrainingTriggered } from '@forge/domain';
import type { EventStore, JsonObject, NewEvent, SqlTransaction } from '@forge/event-store';
import type { ConsumerDefinition } from '../bus/port';
import type { IntegrationEvent } from '../integration-event';
import type { JobQueue } from '../jobs/port';
import { defaultLogger, type Logger } from '../logger';
import type { TransactionRunner } from '../sql';
import { countRating, emptyCounter, type RatingCounter, type TriggerDecision } from './decide-trigger';
import { RETRAIN_JOB_NAMES, type RetrainJobPayload } from './retrain-jobs';

export const RETRAIN_TRIGGER_SCHEMA = `
create table if not exists retrain_trigger_counter (
  model text primary key,
  ratings_since_training integer not null,
  max_position bigint not null,
  triggers integer not null default 0
);
create table if not exists retrain_trigger_pending (
  run_id text primary key,
  model text not null,
  event jsonb not null,
  payload jsonb not null,
  decided_at timestamptz not null default now()
)
`;

export interface RetrainTriggerOptions {
  /** Ratings per model since its last training that start a new one. */
  thresholds: Partial<Record<ModelKind, number>>;
  /** Consumer name (group id, inbox key). */
  name?: string;
  /** Stream categories carrying RatingSubmitted. */
  categories?: string[];
  logger?: Logger;
}

/**
 * The retrain trigger, as a bus consumer. In the handler's transaction it counts each RatingSubmitted for
 * every model with a threshold and, on a crossing, records the decision in a pending table. After commit the
 * pending decisions are carried out: append `RetrainingTriggered` (event id = run id = uuid of
 * sha256(model, upToPosition)) and enqueue the training job with that same id. Both are idempotent by id, and
 * the pending row is only deleted after both, so a crash anywhere repeats them and still yields one run.
 */
export class RetrainTrigger {
  readonly name: string;
  private readonly categories: string[];
  private readonly logger: Logger;
  private readonly thresholds: [ModelKind, number][];
  private flushing?: Promise<void>;
  private flushAgain = false;

  constructor(
    private readonly store: EventStore,
    private readonly db: TransactionRunner,
    private readonly jobs: JobQueue,
    options: RetrainTriggerOptions,
  ) {
    this.name = options.name ?? 'retrain-trigger';
    this.categories = options.categories ?? ['task'];
    this.logger = options.logger ?? defaultLogger('retrain-trigger');
    // Sorted, so concurrent handlers lock counter rows in one order and cannot deadlock.
    this.thresholds = (Object.entries(options.thresholds) as [ModelKind, number][])
      .filter(([, t]) => t !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    for (const [model, t] of this.thresholds) {
      if (!Number.isInteger(t) || t < 1) throw new RangeError(`retrain threshold for ${model} must be a positive integer, got ${t}`);
    }
  }

  async ensureSchema(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('forge.retrain-trigger.schema'))`);
      for (const s of RETRAIN_TRIGGER_SCHEMA.split(';').map((x) => x.trim()).filter(Boolean)) await tx.query(s);
    });
  }

  consumer(): ConsumerDefinition {
    return {
      name: this.name,
      categories: this.categories,
      handle: (event, tx) => this.handle(event, tx),
      afterCommit: () => this.flush(),
    };
  }

  async handle(event: IntegrationEvent, tx: SqlTransaction): Promise<void> {
    if (event.type !== 'RatingSubmitted') return;
    for (const [model, threshold] of this.thresholds) {
      const counter = await this.lockCounter(tx, model);
      const { counter: next, trigger } = countRating(counter, event.position, threshold);
      await tx.query(
        `update retrain_trigger_counter
            set ratings_since_training = $2, max_position = $3, triggers = triggers + $4
          where model = $1`,
        [model, next.ratingsSinceTraining, next.maxPosition, trigger ? 1 : 0],
      );
      if (trigger) await this.recordPending(tx, trigger, event);
    }
  }

  /** Carries out every recorded decision; concurrent calls collapse into one pass plus one more. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.flushAgain = false;
          await this.flushOnce();
        } while (this.flushAgain);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const pending = await this.db.transaction((tx) =>
      tx.query<{ run_id: string; model: ModelKind; event: NewEvent; payload: RetrainJobPayload }>(
        `select run_id, model, event, payload from retrain_trigger_pending order by decided_at, run_id`,
      ),
    );
    for (const row of pending.rows) {
      await this.store.append(streams.run(row.run_id), [row.event], 'any');
      const { created } = await this.jobs.enqueue(RETRAIN_JOB_NAMES[row.model], row.run_id, row.payload);
      await this.db.transaction((tx) => tx.query(`delete from retrain_trigger_pending where run_id = $1`, [row.run_id]));
      this.logger.info({ runId: row.run_id, model: row.model, upToPosition: row.payload.upToPosition, jobCreated: created }, 'retraining triggered');
    }
  }

  private async lockCounter(tx: SqlTransaction, model: ModelKind): Promise<RatingCounter> {
    const empty = emptyCounter(model);
    await tx.query(
      `insert into retrain_trigger_counter (model, ratings_since_training, max_position) values ($1, $2, $3)
       on conflict (model) do nothing`,
      [model, empty.ratingsSinceTraining, empty.maxPosition],
    );
    const { rows } = await tx.query<{ ratings_since_training: number; max_position: string | number }>(
      `select ratings_since_training, max_position from retrain_trigger_counter where model = $1 for update`,
      [model],
    );
    return { model, ratingsSinceTraining: Number(rows[0].ratings_since_training), maxPosition: Number(rows[0].max_position) };
  }

  private async recordPending(tx: SqlTransaction, t: TriggerDecision, rating: IntegrationEvent): Promise<void> {
    const payload: RetrainJobPayload = { runId: t.runId, model: t.model, upToPosition: t.upToPosition, newRatings: t.newRatings };
    const data: RetrainingTriggered['data'] = { ...payload, threshold: t.threshold };
    const meta = rating.metadata;
    const event: NewEvent = {
      id: t.runId,
      type: 'RetrainingTriggered',
      data: data as JsonObject,
      metadata: {
        actor: { kind: 'system', id: this.name },
        correlationId: typeof meta.correlationId === 'string' ? meta.correlationId : t.runId,
        causationId: rating.eventId,
        // The rating's time, so a repeated decision carries identical content.
        occurredAt: typeof meta.occurredAt === 'string' ? meta.occurredAt : new Date().toISOString(),
        schemaVersion: CURRENT_SCHEMA_VERSION,
      },
    };
    await tx.query(
      `insert into retrain_trigger_pending (run_id, model, event, payload) values ($1, $2, $3, $4)
       on conflict (run_id) do nothing`,
      [t.runId, t.model, JSON.stringify(event), JSON.stringify(payload)],
    );
  }
}
