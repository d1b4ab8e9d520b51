import type { CookieOptions, Request } from 'express';

// The job-queue board (bull-board) is opened by a browser link, which cannot carry the bearer header.
// An admin's authenticated POST sets this cookie instead: HttpOnly (no script reads it), SameSite=Strict
// (no other site's page makes the browser send it) and scoped to the board's path only.

/** The portal's proxy forwards this cookie by name; keep the two in step. */
export const QUEUE_BOARD_COOKIE = 'forge_queue_board';
export const QUEUE_BOARD_PATH = '/admin/queues';

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Secure whenever the browser reached us over HTTPS (directly, or as the proxy in front says). */
export function queueBoardCookieOptions(req: Request, maxAgeSeconds: number): CookieOptions {
  const https = req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
  return { httpOnly: true, sameSite: 'strict', path: QUEUE_BOARD_PATH, maxAge: maxAgeSeconds * 1000, secure: https };
}
