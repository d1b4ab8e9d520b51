'use client';
import { useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { localToIso } from '../../lib/audit-types';
import { errorText, Status } from '../../lib/status';

interface RebuiltState {
  asOf: { requestedTime: string | null; requestedPosition: number | null; lastPosition: number | null; lastRecordedAt: string | null; events: number };
  audit: { byType: Record<string, number> };
  images: Record<string, unknown>;
  labelTasks: Record<string, { status: string }>;
  ratingsByImage: Record<string, { ratings: unknown[] }>;
  users: Record<string, unknown>;
}

/** The whole state rebuilt from the log as it stood at a chosen moment (or position). */
export function StateAsOf() {
  const [time, setTime] = useState('');
  const [position, setPosition] = useState('');
  const [state, setState] = useState<RebuiltState | null>(null);
  const [message, setMessage] = useState('');

  async function rebuild(e: FormEvent) {
    e.preventDefault();
    const iso = localToIso(time);
    const query = position ? `asOfPosition=${encodeURIComponent(position)}` : iso ? `asOfTime=${encodeURIComponent(iso)}` : null;
    if (!query) {
      setMessage('Choose a moment or a position.');
      return;
    }
    setMessage('Rebuilding…');
    try {
      const s = await api<RebuiltState>(`/audit/state?${query}`);
      setState(s);
      setMessage(`Rebuilt from ${s.asOf.events} events.`);
    } catch (err) {
      setMessage(errorText(err));
    }
  }

  const ratings = state ? Object.values(state.ratingsByImage).reduce((n, r) => n + r.ratings.length, 0) : 0;
  const tasks = state ? Object.values(state.labelTasks) : [];
  return (
    <section className="card" aria-labelledby="state-title">
      <h2 id="state-title">State as of a moment</h2>
      <form onSubmit={rebuild} className="row">
        <div>
          <label htmlFor="as-of-time">Moment (your local time)</label>
          <input id="as-of-time" type="datetime-local" step="1" value={time} onChange={(e) => setTime(e.target.value)} />
        </div>
        <div>
          <label htmlFor="as-of-position">or global position</label>
          <input id="as-of-position" type="number" min={0} style={{ width: '8rem' }} value={position} onChange={(e) => setPosition(e.target.value)} />
        </div>
        <div>
          <button type="submit">Rebuild state</button>
        </div>
      </form>
      {state && (
        <div data-testid="state-result" data-events={state.asOf.events} data-ratings={ratings}>
          <p>
            As of {state.asOf.requestedTime ?? `position ${state.asOf.requestedPosition}`}: <strong>{state.asOf.events}</strong> events (last position {state.asOf.lastPosition ?? '—'}, recorded{' '}
            {state.asOf.lastRecordedAt ?? '—'}).
          </p>
          <ul>
            <li>images: {Object.keys(state.images).length}</li>
            <li>label tasks: {tasks.length} ({tasks.filter((t) => t.status === 'Completed').length} completed)</li>
            <li>ratings: <span data-testid="state-ratings">{ratings}</span></li>
            <li>users: {Object.keys(state.users).length}</li>
          </ul>
          <details>
            <summary>Full rebuilt state (canonical JSON)</summary>
            <pre className="json">{JSON.stringify(state, null, 1)}</pre>
          </details>
        </div>
      )}
      <Status message={message} />
    </section>
  );
}
