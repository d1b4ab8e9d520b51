'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { actorOf, type AuditEvent } from '../../lib/audit-types';
import { errorText, Status } from '../../lib/status';

/** One stream, every revision with its hash and the hash it chains to. */
export function StreamHistory({ stream, onStream, onSign }: { stream: string; onStream(s: string): void; onSign(stream: string, revision: number): void }) {
  const [input, setInput] = useState(stream);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [message, setMessage] = useState('');

  useEffect(() => {
    setInput(stream);
    if (!stream) return;
    setMessage(`Loading ${stream}…`);
    api<{ events: AuditEvent[] }>(`/audit/streams/${encodeURIComponent(stream)}`)
      .then((r) => {
        setEvents(r.events);
        setMessage(`${stream}: ${r.events.length} revisions.`);
      })
      .catch((err) => {
        setEvents([]);
        setMessage(errorText(err));
      });
  }, [stream]);

  function open(e: FormEvent) {
    e.preventDefault();
    onStream(input.trim());
  }

  return (
    <section className="card" aria-labelledby="stream-title">
      <h2 id="stream-title">Stream history</h2>
      <form onSubmit={open} className="row">
        <div>
          <label htmlFor="stream-id">Stream id</label>
          <input id="stream-id" placeholder="e.g. user-root" value={input} onChange={(e) => setInput(e.target.value)} />
        </div>
        <div>
          <button type="submit">Show history</button>
        </div>
      </form>
      {events.length > 0 && (
        <div className="scroll">
          <table data-testid="stream-history">
            <thead>
              <tr>
                <th scope="col">Rev.</th>
                <th scope="col">Type / actor</th>
                <th scope="col">Hash ← previous</th>
                <th scope="col"><span className="visually-hidden">Sign</span></th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{e.streamVersion}</td>
                  <td>
                    {e.type}
                    <br />
                    <span className="muted small">{actorOf(e)} · {e.recordedAt.replace('T', ' ').slice(0, 19)}</span>
                  </td>
                  <td className="mono small">
                    {e.hash.slice(0, 16)}…<br />← {e.prevHash.slice(0, 16)}…
                  </td>
                  <td>
                    <button type="button" onClick={() => onSign(e.streamId, e.streamVersion)} aria-label={`Sign ${e.streamId} revision ${e.streamVersion}`}>
                      Sign
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Status message={message} />
    </section>
  );
}
