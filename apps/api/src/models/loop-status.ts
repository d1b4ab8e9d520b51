import { MODEL_KINDS, type ModelKind } from '@forge/domain';
import type { RecordedEvent } from '../store/port';

// What `forge loop status` tells in a terminal, folded from the global log for the operator's page:
// the latest iteration, the last promotion or rejection and why, and how many ratings came in since each
// model's last retraining. Events come in the log's read order; positions are unique but not commit
// order, so the rating count compares positions instead of assuming they arrive sorted.

export type VersionStatus = 'candidate' | 'evaluated' | 'promoted' | 'retired' | 'rejected';

/** The loop's iteration: a generator version evaluated with an `iteration` number (0 is the pretrained baseline). */
export interface IterationView {
  iteration: number;
  version: string;
  status: VersionStatus;
  passed: boolean;
  notes: string;
  metrics: Record<string, number>;
  evaluatedAt: string;
}

export interface DecisionView {
  model: ModelKind;
  version: string;
  decision: 'promoted' | 'rejected';
  /** The rejection's reason, or the reason recorded with the promotion command. */
  reason: string | null;
  actor: { kind: string; id: string } | null;
  at: string;
}

export interface RetrainingView {
  model: ModelKind;
  /** RatingSubmitted events above the last trigger's `upToPosition` (all of them before any trigger). */
  ratingsSinceLastTrigger: number;
  lastTrigger: { runId: string; newRatings: number; upToPosition: number; at: string } | null;
}

export interface LoopRecordStatus {
  iterations: number;
  latestIteration: IterationView | null;
  serving: Record<ModelKind, string | null>;
  lastDecision: DecisionView | null;
  retraining: RetrainingView[];
  ratings: number;
}

export const LOOP_STATUS_TYPES = new Set([
  'SelectorTrained',
  'PolicyUpdated',
  'GeneratorRefined',
  'EvaluationCompleted',
  'ModelVersionPromoted',
  'ModelVersionRejected',
  'RetrainingTriggered',
  'RatingSubmitted',
]);

interface VersionFacts {
  status: VersionStatus;
  passed: boolean;
  notes: string;
  metrics: Record<string, number> | null;
  evaluatedAt: string | null;
}

const isModel = (m: unknown): m is ModelKind => typeof m === 'string' && (MODEL_KINDS as readonly string[]).includes(m);

/** Folds the events of LOOP_STATUS_TYPES in the order they are read; others are ignored. */
export class LoopStatusFold {
  private readonly versions = new Map<ModelKind, Map<string, VersionFacts>>(MODEL_KINDS.map((m) => [m, new Map()]));
  private readonly serving: Record<ModelKind, string | null> = { selector: null, policy: null, generator: null };
  private lastDecision: DecisionView | null = null;
  private readonly ratingPositions: number[] = [];
  private readonly sinceTrigger = new Map<ModelKind, number>(MODEL_KINDS.map((m) => [m, 0]));
  private readonly lastTrigger = new Map<ModelKind, NonNullable<RetrainingView['lastTrigger']>>();

  apply(e: RecordedEvent): void {
    const d = e.data as Record<string, unknown>;
    const meta = e.metadata as { occurredAt?: string; reason?: string; actor?: { kind: string; id: string } };
    const at = meta.occurredAt ?? e.recordedAt;
    const model = d.model ?? modelOfStream(e.streamId);
    switch (e.type) {
      case 'RatingSubmitted':
        this.ratingPositions.push(e.position);
        for (const m of MODEL_KINDS) if (e.position > (this.lastTrigger.get(m)?.upToPosition ?? -1)) this.sinceTrigger.set(m, this.sinceTrigger.get(m)! + 1);
        return;
      case 'RetrainingTriggered': {
        if (!isModel(model)) return;
        const upToPosition = Number(d.upToPosition);
        const previous = this.lastTrigger.get(model);
        if (previous && previous.upToPosition >= upToPosition) return; // a late or repeated older trigger
        this.lastTrigger.set(model, { runId: String(d.runId), newRatings: Number(d.newRatings), upToPosition, at });
        this.sinceTrigger.set(model, this.ratingPositions.filter((p) => p > upToPosition).length);
        return;
      }
    }
    if (!isModel(model)) return;
    const versions = this.versions.get(model)!;
    const version = String(d.version ?? d.modelVersion);
    switch (e.type) {
      case 'SelectorTrained':
      case 'PolicyUpdated':
      case 'GeneratorRefined':
        if (!versions.has(version)) versions.set(version, { status: 'candidate', passed: false, notes: '', metrics: null, evaluatedAt: null });
        return;
      case 'EvaluationCompleted': {
        const v = versions.get(version);
        if (v) Object.assign(v, { status: 'evaluated', passed: d.passed === true, notes: String(d.notes ?? ''), metrics: (d.metrics as Record<string, number>) ?? {}, evaluatedAt: at });
        return;
      }
      case 'ModelVersionPromoted': {
        const replaced = typeof d.replaces === 'string' ? versions.get(d.replaces) : undefined;
        if (replaced) replaced.status = 'retired';
        const v = versions.get(version);
        if (v) v.status = 'promoted';
        this.serving[model] = version;
        this.lastDecision = { model, version, decision: 'promoted', reason: meta.reason ?? null, actor: meta.actor ?? null, at };
        return;
      }
      case 'ModelVersionRejected': {
        const v = versions.get(version);
        if (v) v.status = 'rejected';
        this.lastDecision = { model, version, decision: 'rejected', reason: String(d.reason ?? meta.reason ?? ''), actor: meta.actor ?? null, at };
        return;
      }
    }
  }

  status(): LoopRecordStatus {
    const iterations = [...this.versions.get('generator')!.entries()]
      .filter(([, v]) => v.metrics !== null && Number.isFinite(v.metrics.iteration))
      .map(([version, v]): IterationView => ({ iteration: v.metrics!.iteration, version, status: v.status, passed: v.passed, notes: v.notes, metrics: v.metrics!, evaluatedAt: v.evaluatedAt! }))
      .sort((a, b) => a.iteration - b.iteration);
    return {
      iterations: iterations.length,
      latestIteration: iterations[iterations.length - 1] ?? null,
      serving: { ...this.serving },
      lastDecision: this.lastDecision,
      retraining: MODEL_KINDS.map((model) => ({ model, ratingsSinceLastTrigger: this.sinceTrigger.get(model)!, lastTrigger: this.lastTrigger.get(model) ?? null })),
      ratings: this.ratingPositions.length,
    };
  }
}

function modelOfStream(streamId: string): string | undefined {
  return streamId.startsWith('model-') ? streamId.slice('model-'.length) : undefined;
}
