import type { EventStore, RecordedEvent } from '@forge/event-store';
import { streams, MODEL_KINDS, type ModelKind } from '@forge/domain';

/** One model version as the record tells it. */
export interface VersionHistory {
  model: ModelKind;
  version: string;
  parentVersion: string | null;
  status: 'candidate' | 'evaluated' | 'promoted' | 'retired' | 'rejected';
  reason: string | null;
  metrics: Record<string, number> | null;
  recordedAt: string;
}

/** What `forge loop status` and the report read: every version of every model, in order. */
export async function readHistory(store: EventStore): Promise<VersionHistory[]> {
  const out: VersionHistory[] = [];
  for (const model of MODEL_KINDS) {
    const events: RecordedEvent[] = await store.readStream(streams.model(model));
    const byVersion = new Map<string, VersionHistory>();
    for (const e of events) {
      const d = e.data as Record<string, unknown>;
      const version = String(d.version ?? d.modelVersion);
      switch (e.type) {
        case 'SelectorTrained':
        case 'PolicyUpdated':
        case 'GeneratorRefined':
          byVersion.set(version, { model, version, parentVersion: (d.parentVersion as string | null) ?? null, status: 'candidate', reason: null, metrics: null, recordedAt: e.recordedAt });
          break;
        case 'EvaluationCompleted': {
          const v = byVersion.get(version);
          if (v) Object.assign(v, { status: 'evaluated', metrics: d.metrics as Record<string, number>, reason: String(d.notes ?? '') });
          break;
        }
        case 'ModelVersionPromoted': {
          const replaced = d.replaces ? byVersion.get(String(d.replaces)) : undefined;
          if (replaced) replaced.status = 'retired';
          const v = byVersion.get(version);
          if (v) v.status = 'promoted';
          break;
        }
        case 'ModelVersionRejected': {
          const v = byVersion.get(version);
          if (v) Object.assign(v, { status: 'rejected', reason: String(d.reason) });
          break;
        }
      }
    }
    out.push(...byVersion.values());
  }
  return out;
}

/** The loop's iterations are the evaluated generator versions, numbered by their evaluation. */
export function generatorIterations(history: readonly VersionHistory[]): (VersionHistory & { iteration: number; metrics: Record<string, number> })[] {
  return history
    .filter((v): v is VersionHistory & { metrics: Record<string, number> } => v.model === 'generator' && v.metrics !== null && Number.isFinite(v.metrics.iteration))
    .map((v) => ({ ...v, iteration: v.metrics.iteration }))
    .sort((a, b) => a.iteration - b.iteration);
}

/** A plain-text status for the terminal. */
export async function loopStatus(store: EventStore): Promise<string> {
  const history = await readHistory(store);
  const runs = (await store.readAll()).filter((e) => e.type === 'TrainingCompleted').length;
  const iterations = generatorIterations(history);
  if (history.length === 0) return 'the loop has not run yet: no model versions are recorded\n';
  const lines = [`iterations evaluated: ${iterations.length} (iteration 0 is the pretrained baseline); training runs completed: ${runs}`, ''];
  for (const model of MODEL_KINDS) {
    const versions = history.filter((v) => v.model === model);
    if (!versions.length) continue;
    lines.push(`${model}:`);
    for (const v of versions) lines.push(`  ${v.version.padEnd(14)} ${v.status.padEnd(9)} ${v.status === 'rejected' || v.status === 'promoted' || v.status === 'retired' ? (v.reason ?? '') : ''}`.trimEnd());
  }
  const last = iterations[iterations.length - 1];
  if (last) {
    const m = last.metrics;
    const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(3));
    lines.push('', `last evaluation: ${last.version} (iteration ${last.iteration}, ${last.status})`);
    lines.push(`  judge quality ${f(m.judgeQuality)} [${f(m.judgeQualityLow)}, ${f(m.judgeQualityHigh)}], judge match ${f(m.judgeMatch)} [${f(m.judgeMatchLow)}, ${f(m.judgeMatchHigh)}]`);
    lines.push(`  FD-fundus ${f(m.fdFundus)}, KID ${f(m.kid)}, selector Spearman ${f(m.selectorSpearman)}, policy AUC ${f(m.policyAuc)}`);
  }
  return lines.join('\n') + '\n';
}
