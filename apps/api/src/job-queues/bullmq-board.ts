import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AppViewRoute } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import { RETRAIN_JOB_NAMES } from '@forge/messaging';
import { Queue } from 'bullmq';
import type { Request, RequestHandler, Response } from 'express';
import IORedis, { type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NotFoundError } from '../errors/api-errors';
import { pathBelowBoard, publicBoardPath } from './board-path';
import type { JobQueuesBoard } from './job-queues-board';

/** bull-board renders its page with a fixed base path; ours depends on the proxy in front (see board-path.ts). */
class PerRequestBasePathAdapter extends ExpressAdapter {
  override setEntryRoute(route: AppViewRoute): ExpressAdapter {
    this.app[route.method](route.route, (req: Request, res: Response) => {
      const { name, params } = route.handler({ basePath: publicBoardPath(req), uiConfig: this.uiConfig });
      res.render(name, params);
    });
    return this;
  }
}

/**
 * bull-board over the queues the loop's jobs use (one BullMQ queue per job name, under the producers'
 * Redis prefix). The queues are opened here only to be read and managed; no worker runs in the API.
 */
export class BullMqBoard implements JobQueuesBoard {
  private readonly connection: Redis;
  private readonly queues: Queue[];
  private readonly app: RequestHandler;

  constructor(redisUrl: string, prefix: string, log: Logger) {
    // Fail a board request fast when Redis is down instead of waiting for it; connect on first use.
    this.connection = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.connection.on('error', (err) => log.warn({ err: err.message }, 'job-queue board: Redis connection error'));
    this.queues = Object.values(RETRAIN_JOB_NAMES).map((name) => new Queue(name, { connection: this.connection, prefix }));
    const server = new PerRequestBasePathAdapter();
    createBullBoard({
      queues: this.queues.map((q) => new BullMQAdapter(q, { allowRetries: true })),
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Forge jobs' } },
    });
    const app = server.getRouter() as import('express').Express;
    app.disable('x-powered-by');
    this.app = app;
  }

  serve(req: Request, res: Response): Promise<void> {
    // Answer as if mounted at /admin/queues: the sub-app routes on req.url.
    req.url = pathBelowBoard(req);
    res.setHeader('X-Frame-Options', 'DENY');
    return new Promise((resolve, reject) => {
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      this.app(req, res, (err?: unknown) => reject(err ?? new NotFoundError(`the job-queue board has nothing at ${req.originalUrl}`)));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    // A connection handed to BullMQ stays ours to close.
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
