import type { Request } from 'express';
import { QUEUE_BOARD_PATH } from './queue-board-cookie';

// The portal serves the API under /api and says so in X-Forwarded-Prefix. bull-board's page loads its
// scripts and calls its JSON API relative to <base href>, so that base must be the path the browser sees.
const PREFIX = /^(\/[A-Za-z0-9_-]{1,40}){1,4}$/;

/** The board's path as the browser sees it: the proxy's prefix (when well-formed) + /admin/queues. */
export function publicBoardPath(req: Request): string {
  const prefix = req.headers['x-forwarded-prefix'];
  return `${typeof prefix === 'string' && PREFIX.test(prefix) ? prefix : ''}${QUEUE_BOARD_PATH}`;
}

/** The request's path below /admin/queues (with its query), as a router mounted there would see it. */
export function pathBelowBoard(req: Request): string {
  const rest = req.originalUrl.slice(QUEUE_BOARD_PATH.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
