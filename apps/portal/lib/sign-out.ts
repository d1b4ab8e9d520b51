'use client';
import { clearSession } from './session';

/**
 * Ends the job-queue board session: its cookie is HttpOnly, so only the API can expire it
 * (DELETE /admin/queues/session, which needs no token, so an expired sign-in still clears it).
 */
export async function endBoardSession(): Promise<void> {
  await fetch('/api/admin/queues/session', { method: 'DELETE', keepalive: true, cache: 'no-store' }).catch(() => undefined);
}

/** Forgets the bearer token and the board cookie, then goes to the sign-in page. */
export async function signOut(): Promise<void> {
  clearSession();
  await endBoardSession();
  window.location.assign('/login');
}
