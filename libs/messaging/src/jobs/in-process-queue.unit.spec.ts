import { z } from 'zod';
import { InProcessJobQueue } from './in-process-queue';
import { JobInterruptedError, UnrecoverableJobError, type JobDefinition } from './port';

const silent = { level: 'silent' };
const square: JobDefinition<{ n: number }> = { name: 'square', schema: z.object({ n: z.number().int() }) };

function queue(attempts = 3) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return new InProcessJobQueue({ attempts, backoffMs: 5, logger: require('pino')(silent) });
}

describe('InProcessJobQueue', () => {
  it('runs a job once per id, reporting progress, and keeps the result', async () => {
    const q = queue();
    const seen: number[] = [];
    await q.process(square, async (job) => {
      seen.push(job.payload.n);
      await job.reportProgress(50);
      return job.payload.n ** 2;
    });
    expect(await q.enqueue('square', 'job-1', { n: 7 })).toEqual({ jobId: 'job-1', created: true });
    expect(await q.enqueue('square', 'job-1', { n: 7 })).toEqual({ jobId: 'job-1', created: false });
    const done = await q.waitFor('square', 'job-1', 2000);
    expect(done).toMatchObject({ state: 'completed', result: 49, progress: 50, attempts: 1 });
    expect(await q.enqueue('square', 'job-1', { n: 7 })).toEqual({ jobId: 'job-1', created: false });
    expect(seen).toEqual([7]);
    expect(await q.jobIds('square')).toEqual(['job-1']);
    await q.close();
  });

  it('fails a bad payload for good, without retries, naming the field', async () => {
    const q = queue();
    let calls = 0;
    await q.process(square, async () => ++calls);
    await q.enqueue('square', 'bad', { n: 'seven' });
    const s = await q.waitFor('square', 'bad', 2000);
    expect(s.state).toBe('failed');
    expect(s.attempts).toBe(1);
    expect(s.failedReason).toMatch(/job square bad: invalid payload: n: Expected number/);
    expect(calls).toBe(0);
    await q.close();
  });

  it('retries a failing job with backoff, and stops at UnrecoverableJobError', async () => {
    const q = queue(3);
    const attempts: Record<string, number> = {};
    await q.process(square, async (job) => {
      attempts[job.id] = job.attempt;
      if (job.id === 'flaky' && job.attempt < 3) throw new Error('transient');
      if (job.id === 'doomed') throw new UnrecoverableJobError('input image missing');
      return 'ok';
    });
    await q.enqueue('square', 'flaky', { n: 1 });
    await q.enqueue('square', 'doomed', { n: 1 });
    expect(await q.waitFor('square', 'flaky', 2000)).toMatchObject({ state: 'completed', attempts: 3 });
    expect(await q.waitFor('square', 'doomed', 2000)).toMatchObject({ state: 'failed', attempts: 1, failedReason: 'input image missing' });
    await q.close();
  });

  it('a processor closing mid-job puts the job back without counting the attempt; the next one finishes it', async () => {
    const q = queue(1);
    let began!: () => void;
    const started = new Promise<void>((r) => (began = r));
    const first = await q.process(square, async (job) => {
      began();
      while (!job.stopping()) await new Promise((r) => setTimeout(r, 2));
      throw new JobInterruptedError('stopped with progress saved');
    });
    await q.enqueue('square', 'long', { n: 3 });
    await started;
    await first.close();
    expect(await q.getJob('square', 'long')).toMatchObject({ state: 'waiting', attempts: 0 });
    await q.process(square, async (job) => job.payload.n ** 2);
    expect(await q.waitFor('square', 'long', 2000)).toMatchObject({ state: 'completed', result: 9, attempts: 1 });
    await q.close();
  });

  it('holds jobs until a processor registers', async () => {
    const q = queue();
    await q.enqueue('square', 'early', { n: 3 });
    expect(await q.getJob('square', 'early')).toMatchObject({ state: 'waiting' });
    await q.process(square, async (job) => job.payload.n + 1);
    expect(await q.waitFor('square', 'early', 2000)).toMatchObject({ state: 'completed', result: 4 });
    await q.close();
  });
});
