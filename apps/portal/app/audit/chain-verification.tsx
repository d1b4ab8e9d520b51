'use client';
import { useState } from 'react';
import { api } from '../../lib/api';
import type { VerifyReport } from '../../lib/audit-types';
import { errorText, Status } from '../../lib/status';

/** Recomputes every stream's hash chain and the seals on the server; names the first broken link. */
export function ChainVerification() {
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  async function verify() {
    setBusy(true);
    setMessage('Verifying every hash chain…');
    try {
      const r = await api<VerifyReport>('/audit/verify');
      setReport(r);
      setMessage(r.ok ? 'Chain verification passed.' : 'Chain verification FAILED.');
    } catch (err) {
      setMessage(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Chain verification</h2>
      <button type="button" onClick={verify} disabled={busy}>Verify the hash chains</button>
      {report && (
        <div data-testid="verify-result" data-ok={String(report.ok)}>
          <p className={report.ok ? 'pass' : 'fail'}>{report.ok ? 'PASS' : 'FAIL'}: {report.events} events in {report.streams} streams; seals checked {report.seals.checked}, broken {report.seals.broken}.</p>
          {report.firstProblem && (
            <p className="fail">
              First broken link: <code>{report.firstProblem.streamId}</code> version {report.firstProblem.streamVersion} (position {report.firstProblem.position}): {report.firstProblem.reason}
            </p>
          )}
        </div>
      )}
      <Status message={message} tone={report && !report.ok ? 'error' : 'info'} />
    </section>
  );
}
