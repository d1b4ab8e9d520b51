import type { z } from 'zod';

// Long work never runs inside a Kafka handler: it becomes a job. The job id is deterministic (derived from
// what caused it), so enqueueing the same work twice keeps one job.

/** A job whose retry cannot help (bad payload, missing input): it fails for good at once. */
export class UnrecoverableJobError extends Error {
  readonly code = 'UNRECOVERABLE_JOB';
}

/**
 * Thrown by a processor that stopped early because its worker is closing (see JobContext.stopping), after
 * saving what it needs to continue: the job goes back to the queue without counting as a failed attempt.
 */
export class JobInterruptedError extends Error {
  readonly code = 'JOB_INTERRUPTED';
}

export interface JobDefinition<P> {
  name: string;
  /** Validates the payload before the processor runs (and fills its defaults); a bad payload fails the job for good. */
  schema: z.ZodType<P, z.ZodTypeDef, unknown>;
}

export interface JobContext<P> {
  id: string;
  name: string;
  payload: P;
  /** 1 for the first attempt. */
  attempt: number;
  /** Percent done (0–100) or a small JSON object, visible in the job's status. */
  reportProgress(progress: number | Record<string, unknown>): Promise<void>;
  /** True once the worker is closing: a long job may save its progress and throw JobInterruptedError. */
  stopping(): boolean;
}

export type JobProcessor<P, R = unknown> = (job: JobContext<P>) => Promise<R>;

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

export interface JobStatus {
  id: string;
  name: string;
  state: JobState;
  payload: unknown;
  progress: number | Record<string, unknown>;
  /** Attempts started so far. */
  attempts: number;
  /** When the job was added (ms since the epoch). */
  enqueuedAt: number;
  result?: unknown;
  failedReason?: string;
}

export interface EnqueueResult {
  jobId: string;
  /** False when a job with this id already existed (nothing was added). */
  created: boolean;
}

export interface ProcessOptions {
  concurrency?: number;
}

export interface JobWorker {
  close(): Promise<void>;
}

export interface JobQueue {
  /** Adds a job unless one with the same name and id exists (in any state). */
  enqueue(name: string, jobId: string, payload: unknown): Promise<EnqueueResult>;
  process<P, R>(definition: JobDefinition<P>, processor: JobProcessor<P, R>, options?: ProcessOptions): Promise<JobWorker>;
  getJob(name: string, jobId: string): Promise<JobStatus | undefined>;
  /** Ids of every job of that name still known to the queue, in any state. */
  jobIds(name: string): Promise<string[]>;
  /** Resolves with the job's final status once completed or failed for good. */
  waitFor(name: string, jobId: string, timeoutMs?: number): Promise<JobStatus>;
  close(): Promise<void>;
}

/** Parses the payload with the definition's schema, or throws UnrecoverableJobError naming the fields. */
export function parsePayload<P>(definition: JobDefinition<P>, jobId: string, payload: unknown): P {
  const result = definition.schema.safeParse(payload);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
  throw new UnrecoverableJobError(`job ${definition.name} ${jobId}: invalid payload: ${issues}`);
}
