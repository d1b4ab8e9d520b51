import type { Request, Response } from 'express';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/api-config';
import { BullMqBoard } from './bullmq-board';
import { InProcessNotice } from './in-process-notice';

/** What answers under /admin/queues once the caller is known to be an admin. */
export interface JobQueuesBoard {
  /** Resolves once the response is sent; rejects with a typed error for the error filter otherwise. */
  serve(req: Request, res: Response): Promise<void>;
  close(): Promise<void>;
}

export const JOB_QUEUES_BOARD = Symbol('JOB_QUEUES_BOARD');

/** bull-board over the BullMQ queues when Redis is configured; otherwise a notice that the jobs run in-process. */
export function openJobQueuesBoard(config: ApiConfig, log: Logger): JobQueuesBoard {
  return config.redisUrl ? new BullMqBoard(config.redisUrl, config.jobsPrefix, log) : new InProcessNotice();
}

/** The app owns the board's Redis connection: closing the app closes it. */
@Injectable()
export class JobQueuesBoardLifecycle implements OnApplicationShutdown {
  constructor(@Inject(JOB_QUEUES_BOARD) private readonly board: JobQueuesBoard) {}

  async onApplicationShutdown(): Promise<void> {
    await this.board.close();
  }
}
