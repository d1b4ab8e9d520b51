'use client';
import { clearSession, loadSession } from './session';
import { endBoardSession } from './sign-out';

/** An API error with the HTTP status and the server's message (which names the field or reason). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the API through the portal's /api proxy with the session's bearer token. */
export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const session = loadSession();
  const headers = new Headers(init.headers);
  if (session) headers.set('authorization', `Bearer ${session.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`/api${path}`, { ...init, headers, body });
  if (res.status === 401) {
    clearSession();
    void endBoardSession();
    if (typeof window !== 'undefined' && !window.location.pathname.startsWith('/login')) window.location.assign('/login');
  }
  if (!res.ok) {
    let message = res.statusText;
    try {
      const problem = (await res.json()) as { message?: string | string[] };
      if (problem.message) message = Array.isArray(problem.message) ? problem.message.join('; ') : problem.message;
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(res.status, message);
  }
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}
