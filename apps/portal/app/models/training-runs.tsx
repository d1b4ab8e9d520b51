'use client';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';
import { errorText, Status } from '../../lib/status';

interface RunView {
  runId: string;
  model: string;
  status: 'Triggered' | 'Running' | 'Completed' | 'Failed';
  newRatings: number | null;
  backend: string | null;
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

const REFRESH_MS = 5000;

/** The loop at work: each retraining run, how far it got and how it ended; refreshed every few seconds. */
export function TrainingRuns() {
  const [runs, setRuns] = useState<RunView[] | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api<RunView[]>('/models/runs')
        .then((r) => !stopped && setRuns(r))
        .catch((err) => !stopped && setMessage(errorText(err)));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <section className="card" aria-labelledby="runs-title">
      <h2 id="runs-title">Loop: training runs</h2>
      {runs && runs.length === 0 && <p className="muted" data-testid="runs-empty">No retraining has been triggered yet.</p>}
      {runs && runs.length > 0 && (
        <table data-testid="training-runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Last metrics</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId}>
                <td>
                  <code>{r.runId}</code>
                  <div className="muted small">
                    {r.model}
                    {r.newRatings !== null && ` · ${r.newRatings} new ratings`}
                    {r.backend && ` · ${r.backend}`}
                  </div>
                </td>
                <td className={r.status === 'Failed' ? 'error' : r.status === 'Completed' ? 'ok' : ''}>{r.status}</td>
                <td>
                  {r.plannedSteps ? (
                    <>
                      <progress max={r.plannedSteps} value={r.lastStep} aria-label={`${r.runId}: step ${r.lastStep} of ${r.plannedSteps}`} />{' '}
                      <span className="small">
                        {r.lastStep}/{r.plannedSteps}
                      </span>
                    </>
                  ) : (
                    <span className="small">step {r.lastStep}</span>
                  )}
                  <div className="muted small">{r.checkpoints} checkpoint(s)</div>
                </td>
                <td className="small">
                  {Object.entries(r.lastMetrics)
                    .map(([k, v]) => `${k} ${Number(v).toPrecision(3)}`)
                    .join(', ') || '—'}
                </td>
                <td className="small">{r.version ? `version ${r.version}` : r.error ? <span className="error">{r.error}</span> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Status message={message} />
    </section>
  );
}
