import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { createTestDatabase, openEventStore, type RecordedEvent, type SqlEventStore, type TestDatabase } from '@forge/event-store';
import { streams, type ModelKind } from '@forge/domain';
import { BullMqJobQueue, RETRAIN_JOB_NAMES, runIdFor, type JobStatus } from '@forge/messaging';
import { initBackend } from '@forge/ml';
import { checkpointDir } from '../checkpoints';
import { runLoop } from '../loop';
import { partialDir } from '../partial-checkpoints';
import { LOOP_PRESETS } from '../presets';
import { versionOfRun, type TrainJobPayload } from './definitions';
import { PrivateRedis, WorkerProcess } from './fault-harness';

// Fault tests of `forge loop worker` on real PostgreSQL and Redis: the worker runs as a child process
// (tiny preset), a killed worker's job is taken over and resumed, and a Redis restart loses no job.

jest.setTimeout(180_000);

const quiet = pino({ level: 'silent' });
const unique = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`;

function requireRedis(): string {
  const url = process.env.FORGE_TEST_REDIS_URL;
  if (!url) throw new Error('FORGE_TEST_REDIS_URL is not set: start the services with `infra/services.sh up` (integration tests never skip silently)');
  return url;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);

describe('forge loop worker under faults (real PostgreSQL and Redis, tiny preset)', () => {
  const preset = LOOP_PRESETS.tiny;
  let db: TestDatabase;
  let dataDir: string;
  let store: SqlEventStore;
  let head: number;
  const workers: WorkerProcess[] = [];

  const workerEnv = (redisUrl: string) => ({ DATABASE_URL: db.url, FORGE_DATA_DIR: dataDir, REDIS_URL: redisUrl, KAFKA_BROKERS: '', FORGE_LOG_LEVEL: 'error', FORGE_ML_THREADS: '1' });
  const startWorker = async (redisUrl: string, args: string[]) => {
    const w = new WorkerProcess(['--preset', preset.name, ...args], workerEnv(redisUrl));
    workers.push(w);
    await w.ready();
    return w;
  };
  const payloadFor = (model: ModelKind, upToPosition: number, steps: number): TrainJobPayload => ({ runId: runIdFor(model, upToPosition), model, upToPosition, newRatings: 5, steps });

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    db = await createTestDatabase('loop_worker_faults');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-worker-faults-'));
    store = await openEventStore({ dataDir, databaseUrl: db.url });
    // The record a retraining job starts from: phantom world, first ratings, selector-0, policy-0, generator-0 promoted.
    await runLoop({ store, dataDir, preset, iterations: 0 });
    const all = await store.readAll({ limit: 100_000 });
    head = Math.max(...all.map((e) => e.position));
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.kill('SIGKILL');
      await w.exited();
    }
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('(a) a worker killed with SIGKILL mid-training: another worker resumes from the last partial checkpoint; one TrainingCompleted, one version', async () => {
    const redisUrl = requireRedis();
    const prefix = unique('faults-a');
    const jobs = new BullMqJobQueue(redisUrl, { prefix, logger: quiet });
    const args = ['--checkpoint-every', '20', '--queue-prefix', prefix, '--lock-ms', '1500'];
    try {
      const payload = payloadFor('selector', head, 300);
      const stream = streams.run(payload.runId);
      const first = await startWorker(redisUrl, args);
      await jobs.enqueue(RETRAIN_JOB_NAMES.selector, payload.runId, payload);

      // Kill once the job reports a partial checkpoint beyond the first.
      await until('a partial checkpoint at step ≥ 40', async () => {
        const s = await jobs.getJob(RETRAIN_JOB_NAMES.selector, payload.runId);
        const step = (s?.progress as { checkpointStep?: number } | undefined)?.checkpointStep ?? 0;
        return step >= 40 ? step : undefined;
      }, 60_000);
      first.kill('SIGKILL');
      await first.exited();
      const atKill = await store.readStream(stream);
      const recordedStep = Math.max(...ofType(atKill, 'CheckpointSaved').map((e) => Number(e.data.step)));
      expect(ofType(atKill, 'TrainingStarted')).toHaveLength(1);
      expect(ofType(atKill, 'TrainingCompleted')).toHaveLength(0);
      expect(recordedStep).toBeGreaterThanOrEqual(40);

      // The killed worker's lock runs out; the stalled check hands the job to the second worker.
      const second = await startWorker(redisUrl, args);
      const done: JobStatus = await jobs.waitFor(RETRAIN_JOB_NAMES.selector, payload.runId, 120_000);
      expect(done.state).toBe('completed');
      const result = done.result as { version: string; trainedNow: boolean; resumedFrom: number; steps: number };
      expect(result.trainedNow).toBe(true);
      expect(result.steps).toBe(300);
      // It resumed where the partial checkpoint on disk stood: at or after the step the record had, not at 0.
      expect(result.resumedFrom).toBeGreaterThanOrEqual(recordedStep);
      expect(result.resumedFrom).toBeLessThan(300);
      expect(second.log).toContain(`resumed from step ${result.resumedFrom}`);

      const events = await store.readStream(stream);
      expect(ofType(events, 'TrainingStarted')).toHaveLength(1);
      const completed = ofType(events, 'TrainingCompleted');
      expect(completed).toHaveLength(1);
      expect(completed[0].data).toMatchObject({ version: result.version, steps: 300, metrics: { resumedFromStep: result.resumedFrom } });
      const steps = ofType(events, 'CheckpointSaved').map((e) => Number(e.data.step));
      expect(steps).toEqual([...steps].sort((x, y) => x - y));
      expect(new Set(steps).size).toBe(steps.length);
      expect(steps[steps.length - 1]).toBe(300);
      expect(steps.filter((s) => s > result.resumedFrom && s < 300).length).toBeGreaterThan(0);

      const version = versionOfRun('selector', payload);
      expect(result.version).toBe(version);
      const candidates = (await store.readStream(streams.model('selector'))).filter((e) => e.type === 'SelectorTrained' && e.data.version === version);
      expect(candidates).toHaveLength(1);
      expect(candidates[0].data.sha256).toBe(completed[0].data.sha256);
      expect(fs.existsSync(path.join(checkpointDir(dataDir, 'selector', version), 'manifest.json'))).toBe(true);
      expect(fs.existsSync(partialDir(dataDir, 'selector', version))).toBe(false);
      expect(fs.readdirSync(path.join(dataDir, 'models', 'selector')).filter((d) => d.startsWith(version))).toEqual([version]);

      // SIGTERM: the idle worker stops cleanly.
      second.kill('SIGTERM');
      expect(await second.exited()).toBe(0);
    } finally {
      await jobs.close();
    }
  });

  it('SIGTERM mid-training: the worker saves a partial checkpoint, puts the job back and exits 0; the next worker resumes there', async () => {
    const redisUrl = requireRedis();
    const prefix = unique('faults-term');
    const jobs = new BullMqJobQueue(redisUrl, { prefix, logger: quiet });
    const args = ['--checkpoint-every', '20', '--queue-prefix', prefix];
    try {
      const payload = payloadFor('selector', head - 3, 200);
      const first = await startWorker(redisUrl, args);
      await jobs.enqueue(RETRAIN_JOB_NAMES.selector, payload.runId, payload);
      await until('a first partial checkpoint', async () => {
        const s = await jobs.getJob(RETRAIN_JOB_NAMES.selector, payload.runId);
        return ((s?.progress as { checkpointStep?: number } | undefined)?.checkpointStep ?? 0) >= 20 ? true : undefined;
      }, 60_000);
      first.kill('SIGTERM');
      expect(await first.exited()).toBe(0);
      expect(await jobs.getJob(RETRAIN_JOB_NAMES.selector, payload.runId)).toMatchObject({ state: 'waiting' });
      const atStop = await store.readStream(streams.run(payload.runId));
      const stoppedAt = Math.max(...ofType(atStop, 'CheckpointSaved').map((e) => Number(e.data.step)));
      expect(ofType(atStop, 'TrainingCompleted')).toHaveLength(0);

      await startWorker(redisUrl, args);
      const done = await jobs.waitFor(RETRAIN_JOB_NAMES.selector, payload.runId, 120_000);
      expect(done).toMatchObject({ state: 'completed', result: { trainedNow: true, resumedFrom: stoppedAt } });
      const events = await store.readStream(streams.run(payload.runId));
      expect(ofType(events, 'TrainingStarted')).toHaveLength(1);
      expect(ofType(events, 'TrainingCompleted')).toHaveLength(1);
    } finally {
      await jobs.close();
    }
  });

  it('(b) Redis restarted mid-run: every job completes, none lost and none run twice to completion', async () => {
    const redis = await PrivateRedis.start(fs.mkdtempSync(path.join(os.tmpdir(), 'forge-private-redis-')));
    const prefix = unique('faults-b');
    const jobs = new BullMqJobQueue(redis.url, { prefix, logger: quiet });
    try {
      const worker = await startWorker(redis.url, ['--checkpoint-every', '20', '--queue-prefix', prefix, '--lock-ms', '15000']);
      // Two selector and two policy runs on different data positions: one of each kind trains at a time.
      const planned = [payloadFor('selector', head - 1, 120), payloadFor('policy', head - 1, 60), payloadFor('selector', head - 2, 120), payloadFor('policy', head - 2, 60)];
      for (const p of planned) await jobs.enqueue(RETRAIN_JOB_NAMES[p.model], p.runId, p);

      // Restart Redis while the first selector run is training (after its first partial checkpoint).
      await until('the first selector run to be training', async () => {
        const s = await jobs.getJob(RETRAIN_JOB_NAMES.selector, planned[0].runId);
        return ((s?.progress as { checkpointStep?: number } | undefined)?.checkpointStep ?? 0) >= 20 ? true : undefined;
      }, 60_000);
      const before = await Promise.all(planned.map((p) => jobs.getJob(RETRAIN_JOB_NAMES[p.model], p.runId)));
      expect(before.filter((s) => s?.state === 'completed').length).toBeLessThan(planned.length);
      await redis.restart(1000);

      const finished = await Promise.all(planned.map((p) => jobs.waitFor(RETRAIN_JOB_NAMES[p.model], p.runId, 150_000)));
      expect(finished.map((s) => s.state)).toEqual(planned.map(() => 'completed'));
      for (const [k, p] of planned.entries()) {
        const events = await store.readStream(streams.run(p.runId));
        expect(ofType(events, 'TrainingStarted')).toHaveLength(1);
        expect(ofType(events, 'TrainingCompleted')).toHaveLength(1);
        const version = versionOfRun(p.model, p);
        expect((finished[k].result as { version: string }).version).toBe(version);
        const candidate = p.model === 'selector' ? 'SelectorTrained' : 'PolicyUpdated';
        expect((await store.readStream(streams.model(p.model))).filter((e) => e.type === candidate && e.data.version === version)).toHaveLength(1);
        // Run to completion once: one "trained" line per version, and no attempt that found the run done already.
        expect(worker.log.split('\n').filter((l) => l.includes(`: trained ${version}`))).toHaveLength(1);
      }
      expect(worker.log).not.toContain('had completed before');
      worker.kill('SIGTERM');
      expect(await worker.exited()).toBe(0);
    } finally {
      await jobs.close();
      await redis.stop();
      fs.rmSync(redis.dir, { recursive: true, force: true });
    }
  });
});
