'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { errorText, Status } from '../../lib/status';

export const MEANINGS = ['review', 'approval', 'responsibility', 'authorship'] as const;

interface Signature {
  signatureId: string;
  stream: string;
  revision: number;
  hash: string;
  signer: string;
  meaning: string;
}

/** Electronic signature of one record: the password is entered again and the meaning stated. */
export function SignRecord({ target }: { target: { stream: string; revision: number } | null }) {
  const [stream, setStream] = useState('');
  const [revision, setRevision] = useState('');
  const [meaning, setMeaning] = useState<string>('review');
  const [password, setPassword] = useState('');
  const [signed, setSigned] = useState<Signature | null>(null);
  const [message, setMessage] = useState('');

  useEffect(() => {
    if (!target) return;
    setStream(target.stream);
    setRevision(String(target.revision));
    setSigned(null);
  }, [target]);

  async function sign(e: FormEvent) {
    e.preventDefault();
    setMessage('Signing…');
    try {
      const s = await api<Signature>('/signatures', { method: 'POST', json: { stream, revision: Number(revision), meaning, password } });
      setSigned(s);
      setMessage(`Signed ${s.stream} revision ${s.revision} (${s.meaning}).`);
    } catch (err) {
      setMessage(errorText(err));
    } finally {
      setPassword('');
    }
  }

  return (
    <section className="card" aria-labelledby="sign-title">
      <h2 id="sign-title">Electronic signature</h2>
      <p className="muted small">The signature binds your name, its meaning and the time to the chain hash of the record at that revision.</p>
      <form onSubmit={sign}>
        <div className="row">
          <div>
            <label htmlFor="sig-stream">Stream</label>
            <input id="sig-stream" required value={stream} onChange={(e) => setStream(e.target.value)} />
          </div>
          <div>
            <label htmlFor="sig-revision">Revision</label>
            <input id="sig-revision" type="number" min={1} required style={{ width: '6rem' }} value={revision} onChange={(e) => setRevision(e.target.value)} />
          </div>
          <div>
            <label htmlFor="sig-meaning">Meaning</label>
            <select id="sig-meaning" value={meaning} onChange={(e) => setMeaning(e.target.value)}>
              {MEANINGS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
        </div>
        <label htmlFor="sig-password">Your password (asked again to sign)</label>
        <input id="sig-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />{' '}
        <button type="submit" className="primary">Sign record</button>
      </form>
      {signed && (
        <p data-testid="signature-result" className="ok">
          SignatureApplied by {signed.signer} ({signed.meaning}) on <code>{signed.stream}</code>@{signed.revision}, hash <code>{signed.hash.slice(0, 16)}…</code>
        </p>
      )}
      <Status message={message} />
    </section>
  );
}
