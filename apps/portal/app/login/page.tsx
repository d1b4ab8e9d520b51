'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { homeFor } from '../../lib/role-gate';
import { saveSession, type Role } from '../../lib/session';
import { endBoardSession } from '../../lib/sign-out';
import { errorText, Status } from '../../lib/status';

interface LoginResponse {
  accessToken: string;
  expiresAt: string;
  username: string;
  roles: Role[];
}

export default function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  // A board session left by an earlier sign-in in this browser (tab closed, not signed out) ends here.
  useEffect(() => void endBoardSession(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMessage('Signing in…');
    try {
      const res = await api<LoginResponse>('/auth/login', { method: 'POST', json: { username, password } });
      saveSession({ token: res.accessToken, username: res.username, roles: res.roles, expiresAt: res.expiresAt });
      const next = new URLSearchParams(window.location.search).get('next');
      window.location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : homeFor(res.roles));
    } catch (err) {
      setMessage(errorText(err));
      setBusy(false);
    }
  }

  return (
    <section className="card" style={{ maxWidth: 420, margin: '3rem auto' }} aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <form onSubmit={submit}>
        <label htmlFor="username">Username</label>
        <input id="username" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <p>
          <button className="primary" type="submit" disabled={busy}>
            Sign in
          </button>
        </p>
      </form>
      <Status message={message} tone={message && !busy ? 'error' : 'info'} />
    </section>
  );
}
