'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { hasRole, loadSession, Session } from '../lib/session';
import { signOut } from '../lib/sign-out';

/** Navigation shows only the pages the signed-in user's roles may open (the API refuses the rest anyway). */
export function TopBar() {
  const [session, setSession] = useState<Session | null>(null);
  useEffect(() => setSession(loadSession()), []);
  return (
    <header className="top">
      <strong>Fundus Forge</strong>
      <nav aria-label="Main">
        {hasRole(session, 'expert') && <Link href="/queue">Rating queue</Link>}
        {hasRole(session, 'auditor', 'admin') && <Link href="/audit">Audit</Link>}
        {hasRole(session, 'operator', 'admin') && <Link href="/models">Models &amp; loop</Link>}
        {hasRole(session, 'admin') && <Link href="/admin">Admin</Link>}
      </nav>
      {session ? (
        <span>
          <span className="muted">{session.username} ({session.roles.join(', ')})</span>{' '}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      ) : (
        <Link href="/login">Sign in</Link>
      )}
    </header>
  );
}
