import type { Request, Response } from 'express';
import { RETRAIN_JOB_NAMES } from '@forge/messaging';
import { ServiceUnavailableError } from '../errors/api-errors';
import { pathBelowBoard } from './board-path';
import type { JobQueuesBoard } from './job-queues-board';

const JOB_NAMES = Object.values(RETRAIN_JOB_NAMES).join(', ');

export const IN_PROCESS_MESSAGE =
  `The job queues run in-process: no REDIS_URL is configured, so the jobs (${JOB_NAMES}) run inside the process ` +
  'that enqueues them and are kept in its memory only. The API holds no queue for bull-board to show. ' +
  'Set REDIS_URL (the same Redis for the API and the workers) to see and manage them here.';

/**
 * Embedded mode: there is no shared queue to show, so admins get a 503 that says why: a short page
 * for a browser, the usual JSON error for the board's API and other clients.
 */
export class InProcessNotice implements JobQueuesBoard {
  async serve(req: Request, res: Response): Promise<void> {
    const wantsPage = !pathBelowBoard(req).startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
    if (!wantsPage) throw new ServiceUnavailableError(IN_PROCESS_MESSAGE, 'JOB_QUEUES_IN_PROCESS');
    res.status(503).type('html').setHeader('Cache-Control', 'no-store').send(page());
  }

  async close(): Promise<void> {}
}

function page(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Job queues run in-process</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Job queues run in-process</h1>
<p>${IN_PROCESS_MESSAGE}</p>
</body>
</html>
`;
}
