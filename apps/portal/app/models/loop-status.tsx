'use client';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';
import { errorText, Status } from '../../lib/status';

type ModelKind = 'selector' | 'policy' | 'generator';

/** GET /models/loop (apps/api/src/models/loop-status.view.ts). */
interface LoopStatusView {
  iterations: number;
  latestIteration: { iteration: number; version: string; status: string; passed: boolean; notes: string; metrics: Record<string, number>; evaluatedAt: string } | null;
  serving: Record<ModelKind, string | null>;
  lastDecision: { model: ModelKind; version: string; decision: 'promoted' | 'rejected'; reason: string | null; actor: { kind: string; id: string } | null; at: string } | null;
  retraining: { model: ModelKind; ratingsSinceLastTrigger: number; lastTrigger: { runId: string; newRatings: number; upToPosition: number; at: string } | null }[];
  ratings: number;
  runs: Record<'Triggered' | 'Running' | 'Completed' | 'Failed', number>;
  activeRun: { runId: string; model: ModelKind; lastStep: number; plannedSteps: number | null; startedAt: string | null } | null;
}

const REFRESH_MS = 4000;
/** The measures `forge loop status` prints first, in its order; the rest follow when present. */
const HEADLINE = ['judgeQuality', 'judgeMatch', 'fdFundus', 'kid', 'selectorSpearman', 'policyAuc'];

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

function headlineMetrics(metrics: Record<string, number>): string {
  const names = HEADLINE.filter((n) => typeof metrics[n] === 'number');
  const shown = names.length > 0 ? names : Object.keys(metrics).filter((n) => n !== 'iteration');
  return shown.map((n) => `${n} ${Number(metrics[n]).toPrecision(3)}`).join(', ') || 'no measures recorded';
}

/** The loop at a glance, refreshed every few seconds: where it is, what it last decided and why, what comes next. */
export function LoopStatus() {
  const [status, setStatus] = useState<LoopStatusView | null>(null);
  const [updatedAt, setUpdatedAt] = useState('');
  const [message, setMessage] = useState('');
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api<LoopStatusView>('/models/loop')
        .then((s) => {
          if (stopped) return;
          setStatus(s);
          setUpdatedAt(new Date().toISOString());
          setMessage('');
        })
        .catch((err) => !stopped && setMessage(errorText(err)));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const it = status?.latestIteration;
  const decision = status?.lastDecision;
  const run = status?.activeRun;
  return (
    <section className="card" aria-labelledby="loop-title" data-testid="loop-status">
      <h2 id="loop-title">Loop status</h2>
      {updatedAt && (
        <p className="muted small">
          Updated {when(updatedAt)} UTC, every {REFRESH_MS / 1000} s.
        </p>
      )}
      {status && (
        <dl className="facts">
          <dt>Latest iteration</dt>
          <dd data-testid="loop-iteration">
            {it ? (
              <>
                iteration {it.iteration} <span className="muted small">({status.iterations} evaluated; 0 is the pretrained baseline)</span>: <code>{it.version}</code> <span className={it.status === 'rejected' ? 'error' : it.status === 'promoted' ? 'ok' : ''}>{it.status}</span>
                <div className="small">{headlineMetrics(it.metrics)}</div>
                {it.notes && <div className="muted small">{it.notes}</div>}
              </>
            ) : (
              <span className="muted">no generator version has been evaluated in the loop yet</span>
            )}
          </dd>
          <dt>Last decision</dt>
          <dd data-testid="loop-decision">
            {decision ? (
              <>
                {decision.model} <code>{decision.version}</code> <span className={decision.decision === 'rejected' ? 'error' : 'ok'}>{decision.decision}</span>
                {decision.actor && ` by ${decision.actor.kind} ${decision.actor.id}`}, {when(decision.at)} UTC
                <div className="small">reason: {decision.reason || '—'}</div>
              </>
            ) : (
              <span className="muted">nothing promoted or rejected yet</span>
            )}
          </dd>
          <dt>Serving</dt>
          <dd>
            {(Object.keys(status.serving) as ModelKind[]).map((m, i) => (
              <span key={m}>
                {i > 0 && ', '}
                {m} <code>{status.serving[m] ?? 'none'}</code>
              </span>
            ))}
          </dd>
          <dt>Training</dt>
          <dd data-testid="loop-training">
            {run ? (
              <>
                {run.model} run <code>{run.runId}</code> at step {run.lastStep}
                {run.plannedSteps ? ` of ${run.plannedSteps}` : ''}
              </>
            ) : (
              'no run is training now'
            )}
            <div className="muted small">
              runs: {status.runs.Running} running, {status.runs.Triggered} waiting, {status.runs.Completed} completed, {status.runs.Failed} failed
            </div>
          </dd>
          <dt>Retrain trigger</dt>
          <dd>
            <ul className="plain" data-testid="loop-retraining">
              {status.retraining.map((r) => (
                <li key={r.model}>
                  {r.model}: <strong>{r.ratingsSinceLastTrigger}</strong> new rating{r.ratingsSinceLastTrigger === 1 ? '' : 's'} since{' '}
                  {r.lastTrigger ? (
                    <>
                      the last retraining (<code>{r.lastTrigger.runId}</code>, triggered at {r.lastTrigger.newRatings} new ratings, {when(r.lastTrigger.at)} UTC)
                    </>
                  ) : (
                    'the start (never retrained)'
                  )}
                </li>
              ))}
            </ul>
            <div className="muted small">{status.ratings} ratings in the record. The trigger&apos;s threshold is the worker&apos;s setting, not recorded; each trigger records how many new ratings started it.</div>
          </dd>
        </dl>
      )}
      <Status message={message} tone={message ? 'error' : 'info'} />
    </section>
  );
}
