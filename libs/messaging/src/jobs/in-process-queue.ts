import { defaultLogger, type Logger } from '../logger';
import {
  JobInterruptedError,
  parsePayload,
  UnrecoverableJobError,
  type EnqueueResult,
  type JobDefinition,
  type JobProcessor,
  type JobQueue,
  type JobStatus,
  type JobWorker,
  type ProcessOptions,
} from './port';

export interface InProcessQueueOptions {
  attempts?: number;
  backoffMs?: number;
  logger?: Logger;
}

interface Registered {
  run: (status: JobStatus) => Promise<unknown>;
  concurrency: number;
  active: number;
}

/**
 * Embedded mode: the same job types run in this process. Dedupe by (name, id) like BullMQ, retries with
 * backoff, progress, and immediate failure on UnrecoverableJobError. Jobs live in memory only: after a
 * restart the producer's own idempotent recovery (e.g. the retrain trigger's pending table) enqueues again.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly jobs = new Map<string, Map<string, JobStatus>>();
  private readonly waiting = new Map<string, string[]>();
  private readonly processors = new Map<string, Registered>();
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: InProcessQueueOptions = {}) {
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.logger = options.logger ?? defaultLogger('jobs');
  }

  async enqueue(name: string, jobId: string, payload: unknown): Promise<EnqueueResult> {
    if (this.closed) throw new Error('job queue is closed');
    const byId = this.byName(name);
    if (byId.has(jobId)) return { jobId, created: false };
    // Stored as a copy: the caller may reuse its object, and BullMQ also stores a serialised copy.
    byId.set(jobId, { id: jobId, name, state: 'waiting', payload: structuredClone(payload), progress: 0, attempts: 0, enqueuedAt: Date.now() });
    this.queueOf(name).push(jobId);
    this.changed();
    this.pump(name);
    return { jobId, created: true };
  }

  async process<P, R>(definition: JobDefinition<P>, processor: JobProcessor<P, R>, options: ProcessOptions = {}): Promise<JobWorker> {
    const name = definition.name;
    if (this.processors.has(name)) throw new Error(`a processor for job ${name} is already registered`);
    let closing = false;
    const run = async (status: JobStatus) => {
      const payload = parsePayload(definition, status.id, status.payload);
      return processor({
        id: status.id,
        name,
        payload,
        attempt: status.attempts,
        reportProgress: async (p) => {
          status.progress = p;
          this.changed();
        },
        stopping: () => closing || this.closed,
      });
    };
    this.processors.set(name, { run, concurrency: options.concurrency ?? 1, active: 0 });
    this.pump(name);
    return {
      close: async () => {
        closing = true;
        this.processors.delete(name);
        await Promise.allSettled([...this.running]);
      },
    };
  }

  async getJob(name: string, jobId: string): Promise<JobStatus | undefined> {
    const s = this.jobs.get(name)?.get(jobId);
    return s && { ...s };
  }

  async jobIds(name: string): Promise<string[]> {
    return [...(this.jobs.get(name)?.keys() ?? [])];
  }

  waitFor(name: string, jobId: string, timeoutMs = 30_000): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const s = this.jobs.get(name)?.get(jobId);
        if (s && (s.state === 'completed' || s.state === 'failed')) {
          finish();
          resolve({ ...s });
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`job ${name} ${jobId} not finished after ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.processors.clear();
    await Promise.allSettled([...this.running]);
  }

  private byName(name: string): Map<string, JobStatus> {
    let m = this.jobs.get(name);
    if (!m) this.jobs.set(name, (m = new Map()));
    return m;
  }

  private queueOf(name: string): string[] {
    let q = this.waiting.get(name);
    if (!q) this.waiting.set(name, (q = []));
    return q;
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  private pump(name: string): void {
    const reg = this.processors.get(name);
    const q = this.queueOf(name);
    while (reg && !this.closed && reg.active < reg.concurrency && q.length > 0) {
      const status = this.byName(name).get(q.shift() as string) as JobStatus;
      reg.active++;
      const p = this.attempt(reg, status).finally(() => {
        reg.active--;
        this.running.delete(p);
        this.pump(name);
      });
      this.running.add(p);
    }
  }

  private async attempt(reg: Registered, status: JobStatus): Promise<void> {
    status.state = 'active';
    status.attempts++;
    this.changed();
    try {
      status.result = await reg.run(status);
      status.state = 'completed';
    } catch (err) {
      const e = err as Error;
      if (err instanceof JobInterruptedError) {
        // Stopped for a shutdown with its progress saved: waiting again, the attempt not counted.
        status.attempts--;
        status.state = 'waiting';
        this.queueOf(status.name).push(status.id);
        this.changed();
        return;
      }
      status.failedReason = e.message;
      const retry = !(err instanceof UnrecoverableJobError) && status.attempts < this.attempts && !this.closed;
      this.logger.warn({ job: status.id, name: status.name, attempt: status.attempts, retry, err: e.message }, 'job attempt failed');
      if (retry) {
        status.state = 'delayed';
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          status.state = 'waiting';
          this.queueOf(status.name).push(status.id);
          this.pump(status.name);
        }, this.backoffMs * 2 ** (status.attempts - 1));
        this.timers.add(timer);
      } else {
        status.state = 'failed';
      }
    }
    this.changed();
  }
}
