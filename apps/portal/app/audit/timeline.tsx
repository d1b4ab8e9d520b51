'use client';
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../lib/api';
import { loadSession } from '../../lib/session';
import { actorOf, localToIso, type AuditEvent } from '../../lib/audit-types';
import { errorText, Status } from '../../lib/status';

const SHOWN = 200;

/** The global log with filters; the filtered selection downloads as JSON lines with hashes. */
export function Timeline({ onOpenStream }: { onOpenStream(stream: string): void }) {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [message, setMessage] = useState('Loading the log…');
  const [type, setType] = useState('');
  const [actor, setActor] = useState('');
  const [stream, setStream] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  async function load() {
    setMessage('Loading the log…');
    try {
      const all: AuditEvent[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { events: AuditEvent[]; next: string | null } = await api(`/audit/events?limit=1000${after ? `&after=${after}` : ''}`);
        all.push(...page.events);
        if (page.events.length < 1000 || !page.next) break;
        after = page.next;
      }
      setEvents(all);
      setMessage(`${all.length} events loaded.`);
    } catch (err) {
      setMessage(errorText(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [events]);
  const selected = useMemo(() => {
    const fromIso = localToIso(from);
    const toIso = localToIso(to);
    const a = actor.trim().toLowerCase();
    const s = stream.trim();
    return events.filter(
      (e) =>
        (!type || e.type === type) &&
        (!a || actorOf(e).toLowerCase().includes(a)) &&
        (!s || e.streamId.startsWith(s)) &&
        (!fromIso || e.recordedAt >= fromIso) &&
        (!toIso || e.recordedAt <= toIso),
    );
  }, [events, type, actor, stream, from, to]);

  function exportSelection() {
    const lines = selected.map((e) => JSON.stringify(e)).join('\n') + (selected.length ? '\n' : '');
    download(new Blob([lines], { type: 'application/x-ndjson' }), `forge-events-selection-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
    setMessage(`Exported ${selected.length} events as JSON lines.`);
  }

  /** The server's export of the whole log, byte for byte as stored (with hashes), for offline verification. */
  async function exportAll() {
    setMessage('Exporting the whole log…');
    const session = loadSession();
    const res = await fetch('/api/audit/export', { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
    if (!res.ok) {
      setMessage(`Export failed (${res.status}).`);
      return;
    }
    download(await res.blob(), 'forge-events.jsonl');
    setMessage('Exported the whole log as JSON lines.');
  }

  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Event timeline</h2>
      <div className="row" role="search" aria-label="Filter events">
        <div>
          <label htmlFor="f-type">Type</label>
          <select id="f-type" value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">all types</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-actor">Actor</label>
          <input id="f-actor" placeholder="e.g. expert:alice" value={actor} onChange={(e) => setActor(e.target.value)} />
        </div>
        <div>
          <label htmlFor="f-stream">Stream (prefix)</label>
          <input id="f-stream" placeholder="e.g. task-" value={stream} onChange={(e) => setStream(e.target.value)} />
        </div>
        <div>
          <label htmlFor="f-from">From</label>
          <input id="f-from" type="datetime-local" step="1" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor="f-to">To</label>
          <input id="f-to" type="datetime-local" step="1" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div>
          <button type="button" onClick={() => void load()}>Reload</button>
        </div>
        <div>
          <button type="button" onClick={exportSelection} disabled={selected.length === 0}>Export selection (JSON lines)</button>
        </div>
        <div>
          <button type="button" onClick={() => void exportAll()}>Export whole log</button>
        </div>
      </div>
      <p className="muted" data-testid="timeline-count">
        {selected.length} of {events.length} events match{selected.length > SHOWN ? `; the newest ${SHOWN} are shown` : ''}.
      </p>
      <div className="scroll">
        <table>
          <caption className="visually-hidden">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Pos.</th>
              <th scope="col">Recorded</th>
              <th scope="col">Type</th>
              <th scope="col">Stream @ version</th>
              <th scope="col">Actor</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {selected
              .slice(-SHOWN)
              .reverse()
              .map((e) => (
                <tr key={e.id}>
                  <td>{e.position}</td>
                  <td className="mono">{e.recordedAt.replace('T', ' ').slice(0, 23)}</td>
                  <td>{e.type}</td>
                  <td>
                    <button type="button" className="linklike" onClick={() => onOpenStream(e.streamId)} aria-label={`Open the history of ${e.streamId}`}>
                      <code>{e.streamId}</code>
                    </button>{' '}
                    @{e.streamVersion}
                  </td>
                  <td>{actorOf(e)}</td>
                  <td className="mono" title={e.hash}>{e.hash.slice(0, 12)}…</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <Status message={message} />
    </section>
  );
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
