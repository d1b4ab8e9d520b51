import { Queue, UnrecoverableError, WaitingError, Worker, type Job, type JobsOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { defaultLogger, type Logger } from '../logger';
import {
  JobInterruptedError,
  parsePayload,
  UnrecoverableJobError,
  type EnqueueResult,
  type JobDefinition,
  type JobProcessor,
  type JobQueue,
  type JobState,
  type JobStatus,
  type JobWorker,
  type ProcessOptions,
} from './port';

/** Finished jobs are kept this long, so a late duplicate still finds its job. */
const RETENTION_SECONDS = 14 * 24 * 3600;

export interface BullMqQueueOptions {
  /** Redis key prefix, so several deployments (or test files) can share one Redis. */
  prefix?: string;
  attempts?: number;
  backoffMs?: number;
  logger?: Logger;
  /**
   * How long a worker's lock on an active job lasts without renewal (BullMQ default 30 s). A worker that
   * dies (kill -9, lost machine) stops renewing; once the lock is gone the stalled check puts its job back.
   */
  lockDurationMs?: number;
  /** How often workers look for such stalled jobs (BullMQ default 30 s). */
  stalledIntervalMs?: number;
  /** Stalls a job may survive before it fails for good (BullMQ default 1). */
  maxStalledCount?: number;
}

/**
 * Distributed jobs on BullMQ: one queue per job name. The job id is the caller's deterministic id, so BullMQ
 * refuses a second job with it; finished jobs are kept (for days) so that a late duplicate still finds them.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Set<() => Promise<void>>();
  private readonly prefix: string;
  private readonly defaults: JobsOptions;
  private readonly logger: Logger;
  private readonly stalled: Pick<BullMqQueueOptions, 'lockDurationMs' | 'stalledIntervalMs' | 'maxStalledCount'>;

  constructor(
    private readonly redisUrl: string,
    options: BullMqQueueOptions = {},
  ) {
    this.prefix = options.prefix ?? 'forge';
    this.logger = options.logger ?? defaultLogger('jobs');
    this.stalled = { lockDurationMs: options.lockDurationMs, stalledIntervalMs: options.stalledIntervalMs, maxStalledCount: options.maxStalledCount };
    // BullMQ workers block on Redis; they need requests that never give up.
    this.connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    this.defaults = {
      attempts: options.attempts ?? 3,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
      removeOnComplete: { age: RETENTION_SECONDS },
      removeOnFail: { age: 30 * 24 * 3600 },
    };
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: this.defaults });
      this.queues.set(name, q);
    }
    return q;
  }

  async enqueue(name: string, jobId: string, payload: unknown): Promise<EnqueueResult> {
    // BullMQ itself refuses a second job with this id (atomically, in Redis); the marker only tells the
    // caller whether this call was the one that added it.
    const marker = `${this.prefix}:${name}:enqueued:${jobId}`;
    const first = await this.connection.set(marker, '1', 'EX', RETENTION_SECONDS, 'NX');
    await this.queue(name).add(name, payload, { jobId });
    return { jobId, created: first === 'OK' };
  }

  async process<P, R>(definition: JobDefinition<P>, processor: JobProcessor<P, R>, options: ProcessOptions = {}): Promise<JobWorker> {
    const workerConnection = this.connection.duplicate();
    let closing = false;
    const worker = new Worker(
      definition.name,
      async (job: Job, token?: string) => {
        const id = job.id ?? '';
        try {
          const payload = parsePayload(definition, id, job.data);
          return await processor({
            id,
            name: definition.name,
            payload,
            attempt: job.attemptsMade + 1,
            reportProgress: (p) => job.updateProgress(p),
            stopping: () => closing,
          });
        } catch (err) {
          // Retrying cannot help: fail for good now.
          if (err instanceof UnrecoverableJobError) throw new UnrecoverableError(err.message);
          // Stopped for a shutdown with its progress saved: back to the queue, no attempt counted.
          if (err instanceof JobInterruptedError) {
            await job.moveToWait(token);
            throw new WaitingError();
          }
          throw err;
        }
      },
      {
        connection: workerConnection,
        prefix: this.prefix,
        concurrency: options.concurrency ?? 1,
        // Only the ones set: an explicit undefined would replace BullMQ's defaults.
        ...(this.stalled.lockDurationMs !== undefined && { lockDuration: this.stalled.lockDurationMs }),
        ...(this.stalled.stalledIntervalMs !== undefined && { stalledInterval: this.stalled.stalledIntervalMs }),
        ...(this.stalled.maxStalledCount !== undefined && { maxStalledCount: this.stalled.maxStalledCount }),
      },
    );
    worker.on('failed', (job, err) => this.logger.warn({ job: job?.id, name: definition.name, err: err.message }, 'job attempt failed'));
    worker.on('error', (err) => this.logger.error({ name: definition.name, err }, 'worker error'));
    await worker.waitUntilReady();
    const close = async () => {
      closing = true;
      this.workers.delete(close);
      await worker.close();
      // A connection handed to BullMQ stays ours to close.
      await workerConnection.quit().catch(() => undefined);
    };
    this.workers.add(close);
    return { close };
  }

  async getJob(name: string, jobId: string): Promise<JobStatus | undefined> {
    // State first: once it reads finished, the job's fields read next are final.
    const q = this.queue(name);
    const state = await q.getJobState(jobId);
    const job = await q.getJob(jobId);
    if (!job || state === 'unknown') return undefined;
    return {
      id: jobId,
      name,
      state: toState(state),
      payload: job.data,
      progress: job.progress as JobStatus['progress'],
      attempts: job.attemptsStarted ?? job.attemptsMade,
      enqueuedAt: job.timestamp,
      result: job.returnvalue ?? undefined,
      failedReason: job.failedReason || undefined,
    };
  }

  async jobIds(name: string): Promise<string[]> {
    const jobs = await this.queue(name).getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed']);
    return jobs.map((j) => j.id ?? '').filter(Boolean);
  }

  async waitFor(name: string, jobId: string, timeoutMs = 30_000): Promise<JobStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.getJob(name, jobId);
      if (s && (s.state === 'completed' || s.state === 'failed')) return s;
      if (Date.now() > deadline) throw new Error(`job ${name} ${jobId} not finished after ${timeoutMs} ms (state ${s?.state ?? 'absent'})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Removes every job of this queue's prefix (tests and benchmarks). */
  async obliterate(name: string): Promise<void> {
    await this.queue(name).obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((close) => close()));
    this.workers.clear();
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    await this.connection.quit().catch(() => undefined);
  }

  toString(): string {
    return `BullMqJobQueue(${this.redisUrl.replace(/\/\/[^@]*@/, '//')}, prefix ${this.prefix})`;
  }
}

function toState(s: string): JobState {
  switch (s) {
    case 'active':
    case 'delayed':
    case 'completed':
    case 'failed':
      return s;
    default:
      return 'waiting';
  }
}
