import { z } from 'zod';
import { quietLogger, requireEnv, uniqueName } from '../testing/int-services';
import { BullMqJobQueue } from './bullmq-queue';
import { JobInterruptedError, UnrecoverableJobError, type JobDefinition } from './port';

jest.setTimeout(60_000);

const resize: JobDefinition<{ imageId: string; size: number }> = {
  name: 'resize-test',
  schema: z.object({ imageId: z.string().min(1), size: z.number().int().positive() }),
};

describe('BullMqJobQueue (real Redis)', () => {
  let jobs: BullMqJobQueue;

  beforeEach(() => {
    jobs = new BullMqJobQueue(requireEnv('FORGE_TEST_REDIS_URL'), { prefix: uniqueName('forge-test'), backoffMs: 20, logger: quietLogger });
  });

  afterEach(async () => {
    await jobs.close();
  });

  it('keeps one job per deterministic id, reports progress and keeps the result', async () => {
    const runs: string[] = [];
    await jobs.process(resize, async (job) => {
      runs.push(job.id);
      await job.reportProgress(40);
      await job.reportProgress({ step: 2, of: 2 });
      return { width: job.payload.size };
    });
    const first = await Promise.all([1, 2, 3].map(() => jobs.enqueue('resize-test', 'run-1', { imageId: 'a', size: 32 })));
    expect(first.filter((r) => r.created)).toHaveLength(1);
    const done = await jobs.waitFor('resize-test', 'run-1');
    expect(done).toMatchObject({ state: 'completed', result: { width: 32 }, progress: { step: 2, of: 2 }, attempts: 1 });
    expect(await jobs.enqueue('resize-test', 'run-1', { imageId: 'a', size: 32 })).toEqual({ jobId: 'run-1', created: false });
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toEqual(['run-1']);
    expect(await jobs.jobIds('resize-test')).toEqual(['run-1']);
  });

  it('fails a bad payload for good on the first attempt, naming the field', async () => {
    let calls = 0;
    await jobs.process(resize, async () => ++calls);
    await jobs.enqueue('resize-test', 'bad', { imageId: '', size: -1 });
    const s = await jobs.waitFor('resize-test', 'bad');
    expect(s.state).toBe('failed');
    expect(s.attempts).toBe(1);
    expect(s.failedReason).toMatch(/job resize-test bad: invalid payload: imageId: .*; size: /);
    expect(calls).toBe(0);
  });

  it('a worker closing mid-job puts the job back without counting a failed attempt; the next worker finishes it', async () => {
    let began!: () => void;
    const started = new Promise<void>((r) => (began = r));
    const first = await jobs.process(resize, async (job) => {
      began();
      while (!job.stopping()) await new Promise((r) => setTimeout(r, 10));
      throw new JobInterruptedError('stopped with progress saved');
    });
    await jobs.enqueue('resize-test', 'long', { imageId: 'a', size: 8 });
    await started;
    await first.close();
    expect(await jobs.getJob('resize-test', 'long')).toMatchObject({ state: 'waiting' });
    const attempts: number[] = [];
    await jobs.process(resize, async (job) => {
      attempts.push(job.attempt);
      return 'done';
    });
    expect(await jobs.waitFor('resize-test', 'long')).toMatchObject({ state: 'completed', result: 'done' });
    expect(attempts).toEqual([1]);
  });

  it('retries a transient failure and stops at once on UnrecoverableJobError', async () => {
    await jobs.process(resize, async (job) => {
      if (job.id === 'flaky' && job.attempt < 3) throw new Error('transient');
      if (job.id === 'doomed') throw new UnrecoverableJobError('source image missing');
      return 'ok';
    });
    await jobs.enqueue('resize-test', 'flaky', { imageId: 'a', size: 8 });
    await jobs.enqueue('resize-test', 'doomed', { imageId: 'b', size: 8 });
    expect(await jobs.waitFor('resize-test', 'flaky')).toMatchObject({ state: 'completed', attempts: 3, result: 'ok' });
    expect(await jobs.waitFor('resize-test', 'doomed')).toMatchObject({ state: 'failed', attempts: 1, failedReason: 'source image missing' });
  });
});
