'use client';
import { useEffect, useState, type ReactNode } from 'react';
import { hasRole, loadSession, type Role, type Session } from './session';

type GateState = { kind: 'loading' } | { kind: 'forbidden'; session: Session } | { kind: 'ok'; session: Session };

/**
 * Shows a page only to the roles it is for. The API refuses the calls anyway; this keeps a user
 * from staring at a broken page. No session → the sign-in page.
 */
export function RoleGate({ roles, title, children }: { roles: Role[]; title: string; children: (session: Session) => ReactNode }) {
  const [state, setState] = useState<GateState>({ kind: 'loading' });
  const wanted = roles.join(',');
  useEffect(() => {
    const session = loadSession();
    if (!session) {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    setState(hasRole(session, ...(wanted.split(',') as Role[])) ? { kind: 'ok', session } : { kind: 'forbidden', session });
  }, [wanted]);
  if (state.kind === 'loading') return <p aria-busy="true">Loading…</p>;
  if (state.kind === 'forbidden') {
    return (
      <section aria-labelledby="forbidden-title" data-testid="forbidden">
        <h1 id="forbidden-title">Forbidden</h1>
        <p role="alert">
          {title} needs one of the roles {roles.join(', ')}; you are signed in as {state.session.username} ({state.session.roles.join(', ')}).
        </p>
      </section>
    );
  }
  return <>{children(state.session)}</>;
}

/** Where a user lands after signing in: the first page their roles open. */
export function homeFor(roles: Role[]): string {
  if (roles.includes('expert')) return '/queue';
  if (roles.includes('auditor')) return '/audit';
  if (roles.includes('operator')) return '/models';
  if (roles.includes('admin')) return '/admin';
  return '/login';
}
