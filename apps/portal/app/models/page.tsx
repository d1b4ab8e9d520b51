'use client';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { RoleGate } from '../../lib/role-gate';
import { hasRole, type Session } from '../../lib/session';
import { errorText, Status } from '../../lib/status';
import { MEANINGS } from '../audit/sign-record';
import { GeneratorImagesGrid } from './generator-images';
import { LoopStatus } from './loop-status';
import { MetricPlot, type Point } from './metric-plot';
import { TrainingRuns } from './training-runs';

interface VersionView {
  version: string;
  status: string;
  runId: string | null;
  parentVersion: string | null;
  sha256: string;
  trainingMetrics: Record<string, number>;
  evaluation: { metrics: Record<string, number>; passed: boolean; notes: string } | null;
  rejectionReason: string | null;
  registeredAt: string;
  promotedAt: string | null;
}
interface ModelKindView {
  model: string;
  promoted: string | null;
  versions: Record<string, VersionView>;
  streamVersion: number;
  headHash: string | null;
}

export default function ModelsPage() {
  return <RoleGate roles={['operator', 'admin']} title="Models and the loop">{(s) => <Models session={s} />}</RoleGate>;
}

function metricsOf(v: VersionView): Record<string, number> {
  return { ...v.trainingMetrics, ...(v.evaluation?.metrics ?? {}) };
}

function Models({ session }: { session: Session }) {
  const [kinds, setKinds] = useState<ModelKindView[] | null>(null);
  const [message, setMessage] = useState('');
  const load = () =>
    api<ModelKindView[]>('/models')
      .then(setKinds)
      .catch((err) => setMessage(errorText(err)));
  useEffect(() => {
    void load();
  }, []);

  if (!kinds) return <Status message={message || 'Loading model versions…'} />;
  const total = kinds.reduce((n, k) => n + Object.keys(k.versions).length, 0);
  const generator = kinds.find((k) => k.model === 'generator');
  const generatorVersions = generator ? Object.values(generator.versions).sort((a, b) => a.registeredAt.localeCompare(b.registeredAt)) : [];
  return (
    <>
      <h1>Models and the loop</h1>
      {total === 0 && (
        <p className="card" data-testid="models-empty">
          No model version has been trained yet. Versions appear here when training reports them (SelectorTrained, PolicyUpdated, GeneratorRefined).
        </p>
      )}
      <LoopStatus />
      <TrainingRuns />
      {kinds
        .filter((k) => Object.keys(k.versions).length > 0)
        .map((k) => (
          <ModelKind key={k.model} kind={k} canDecide={hasRole(session, 'operator', 'admin')} onChanged={load} />
        ))}
      <GeneratorImagesGrid versions={generatorVersions} serving={generator?.promoted ?? null} />
      <Status message={message} />
    </>
  );
}

function ModelKind({ kind, canDecide, onChanged }: { kind: ModelKindView; canDecide: boolean; onChanged(): void }) {
  const versions = Object.values(kind.versions).sort((a, b) => a.registeredAt.localeCompare(b.registeredAt));
  const metricNames = useMemo(() => [...new Set(versions.flatMap((v) => Object.keys(metricsOf(v))))].sort(), [versions]);
  const [metric, setMetric] = useState(metricNames[0] ?? '');
  const points: Point[] = versions
    .filter((v) => typeof metricsOf(v)[metric] === 'number')
    .map((v) => ({ label: v.version, time: Date.parse(v.registeredAt), value: metricsOf(v)[metric] }));
  return (
    <section className="card" aria-labelledby={`kind-${kind.model}`}>
      <h2 id={`kind-${kind.model}`}>
        {kind.model} <span className="muted small">serving: {kind.promoted ?? 'none'}</span>
      </h2>
      <div className="grid2">
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Metrics</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    <code>{v.version}</code>
                    <br />
                    <span className="muted small">{v.registeredAt.slice(0, 19).replace('T', ' ')}</span>
                  </td>
                  <td>
                    {v.status}
                    {v.evaluation && <span className={v.evaluation.passed ? 'ok' : 'error'}> ({v.evaluation.passed ? 'passed' : 'failed'})</span>}
                    {v.rejectionReason && <div className="muted small">{v.rejectionReason}</div>}
                  </td>
                  <td className="small">
                    {Object.entries(metricsOf(v))
                      .map(([name, value]) => `${name} ${Number(value).toPrecision(3)}`)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          {metricNames.length > 0 && (
            <>
              <label htmlFor={`metric-${kind.model}`}>Metric to plot</label>
              <select id={`metric-${kind.model}`} value={metric} onChange={(e) => setMetric(e.target.value)}>
                {metricNames.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </>
          )}
          <MetricPlot title={metric} points={points} />
        </div>
      </div>
      {canDecide && <Decision kind={kind} versions={versions} onChanged={onChanged} />}
    </section>
  );
}

function Decision({ kind, versions, onChanged }: { kind: ModelKindView; versions: VersionView[]; onChanged(): void }) {
  const [version, setVersion] = useState(versions[versions.length - 1]?.version ?? '');
  const [action, setAction] = useState<'promote' | 'reject'>('promote');
  const [meaning, setMeaning] = useState('approval');
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState('');
  const id = (s: string) => `${kind.model}-${s}`;

  async function decide(e: FormEvent) {
    e.preventDefault();
    setMessage(`${action === 'promote' ? 'Promoting' : 'Rejecting'} ${version}…`);
    try {
      const r = await api<{ signature: { hash: string; revision: number } }>(`/models/${kind.model}/versions/${encodeURIComponent(version)}/${action}`, {
        method: 'POST',
        json: { meaning, reason, password },
      });
      setMessage(`${version} ${action === 'promote' ? 'promoted' : 'rejected'}; signed at revision ${r.signature.revision} (hash ${r.signature.hash.slice(0, 12)}…).`);
      onChanged();
    } catch (err) {
      setMessage(errorText(err));
    } finally {
      setPassword('');
    }
  }

  return (
    <form onSubmit={decide} aria-label={`Promote or reject a ${kind.model} version`}>
      <h3>Promote or reject (signed)</h3>
      <div className="row">
        <div>
          <label htmlFor={id('version')}>Version</label>
          <select id={id('version')} value={version} onChange={(e) => setVersion(e.target.value)}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} ({v.status})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={id('action')}>Decision</label>
          <select id={id('action')} value={action} onChange={(e) => setAction(e.target.value as 'promote' | 'reject')}>
            <option value="promote">promote</option>
            <option value="reject">reject</option>
          </select>
        </div>
        <div>
          <label htmlFor={id('meaning')}>Meaning of the signature</label>
          <select id={id('meaning')} value={meaning} onChange={(e) => setMeaning(e.target.value)}>
            {MEANINGS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={id('reason')}>Reason</label>
          <input id={id('reason')} required minLength={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <div>
          <label htmlFor={id('password')}>Your password</label>
          <input id={id('password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div>
          <button type="submit" className="primary">Sign and {action}</button>
        </div>
      </div>
      <Status message={message} />
    </form>
  );
}
