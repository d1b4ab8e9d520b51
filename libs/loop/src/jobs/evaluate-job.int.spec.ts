import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { createTestDatabase, openEventStore, type RecordedEvent, type SqlEventStore, type TestDatabase } from '@forge/event-store';
import { modelVersionDecider, streams } from '@forge/domain';
import { BullMqJobQueue, deterministicUuid, RETRAIN_JOB_NAMES, runIdFor, type JobContext, type JobStatus, type JobWorker } from '@forge/messaging';
import { imageQualityNames } from '@forge/metrics';
import { initBackend } from '@forge/ml';
import { judgeImage } from '@forge/phantom';
import { checkpointDir } from '../checkpoints';
import { readEvaluation } from '../evaluation';
import { runLoop } from '../loop';
import { LOOP_PRESETS } from '../presets';
import { handle, systemMetadata, type Recorder } from '../record';
import { EVALUATE_JOB, evaluateJobId, versionOfRun, type TrainJobPayload } from './definitions';
import type { EvaluateJobResult } from './evaluate-job';
import { readHeldOut } from './recorded-data';
import { refineGeneratorJob, type LoopJobDeps } from './train-jobs';
import { startLoopWorker } from './worker';

// The evaluate job on BullMQ (real Redis) and the PostgreSQL event store, tiny preset: refine-generator
// chains it; it records EvaluationCompleted and the gate's decision once however often it is delivered,
// finishes a decision an earlier attempt left half done, and refuses bad input without touching anything.

jest.setTimeout(120_000);

const preset = LOOP_PRESETS.tiny;
const quiet = pino({ level: 'silent' });
const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);
const about = (events: RecordedEvent[], version: string) => events.filter((e) => e.data.version === version || e.data.modelVersion === version);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function requireRedis(): string {
  const url = process.env.FORGE_TEST_REDIS_URL;
  if (!url) throw new Error('FORGE_TEST_REDIS_URL is not set: start the services with `infra/services.sh up` (integration tests never skip silently)');
  return url;
}

describe('evaluate job (BullMQ on real Redis, PostgreSQL event store, tiny preset)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let store: SqlEventStore;
  let head: number;
  let jobs: BullMqJobQueue;
  let deps: LoopJobDeps;
  const workers: JobWorker[] = [];
  const lines: string[] = [];
  const generatorEvents = () => store.readStream(streams.model('generator'));
  // Runs on the same data (the record's head, where generator-0 and selector-0 serve), told apart by their run id.
  const refinePayload = (run: number): TrainJobPayload => ({ runId: run === 0 ? runIdFor('generator', head) : deterministicUuid('evaluate-test', run), model: 'generator', upToPosition: head, newRatings: 4 });

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    db = await createTestDatabase('loop_evaluate_job');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evaluate-job-'));
    store = await openEventStore({ dataDir, databaseUrl: db.url });
    // generator-0 (evaluated by the embedded loop, iteration 0) serves; selector-0 and policy-0 too.
    await runLoop({ store, dataDir, preset, iterations: 0 });
    head = Math.max(...(await store.readAll({ limit: 100_000 })).map((e) => e.position));
    jobs = new BullMqJobQueue(requireRedis(), { prefix: `evaluate-${randomBytes(4).toString('hex')}`, backoffMs: 50, logger: quiet });
    deps = { store, dataDir, preset, checkpointEvery: 10, log: (l) => lines.push(l) };
    // Two workers on the same queues: a job delivered twice may run on both at once.
    workers.push(await startLoopWorker(jobs, deps), await startLoopWorker(jobs, deps));
  });

  afterAll(async () => {
    for (const w of workers) await w.close();
    await jobs?.close();
    await store?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refine-generator enqueues the evaluation; it records the judge figures with intervals, FD-fundus, KID, the five measures and the gate\'s decision', async () => {
    const payload = refinePayload(0);
    const version = versionOfRun('generator', payload);
    await jobs.enqueue(RETRAIN_JOB_NAMES.generator, payload.runId, payload);
    const refined = await jobs.waitFor(RETRAIN_JOB_NAMES.generator, payload.runId, 60_000);
    expect(refined).toMatchObject({ state: 'completed', result: { version, evaluateJobId: evaluateJobId(version) } });
    const done = await jobs.waitFor(EVALUATE_JOB, evaluateJobId(version), 60_000);
    expect(done.state).toBe('completed');
    const result = done.result as EvaluateJobResult;
    expect(result).toMatchObject({ version, decidedNow: true, status: result.promoted ? 'Promoted' : 'Rejected' });

    const events = about(await generatorEvents(), version);
    expect(events.map((e) => e.type)).toEqual(['GeneratorRefined', 'EvaluationCompleted', result.promoted ? 'ModelVersionPromoted' : 'ModelVersionRejected']);
    const evaluation = events[1].data as { metrics: Record<string, number>; passed: boolean; notes: string };
    expect(evaluation.passed).toBe(result.promoted);
    expect(evaluation.notes).toBe(result.reason);
    expect(result.reason).toMatch(new RegExp(`^${version} (promoted over|rejected against) generator-0`));
    if (!result.promoted) expect(events[2].data.reason).toBe(result.reason);
    const m = evaluation.metrics;
    expect(m.iteration).toBe(1);
    for (const name of ['judgeQuality', 'judgeMatch']) {
      expect(m[`${name}Low`]).toBeLessThanOrEqual(m[name]);
      expect(m[name]).toBeLessThanOrEqual(m[`${name}High`]);
    }
    for (const name of ['fdFundus', 'kid', 'inceptionScore', ...imageQualityNames.map((n) => `iq.${n}`)]) expect(Number.isFinite(m[name])).toBe(true);

    // The figures are the held-out judge's on the stored samples, one per held-out prompt of the record.
    const heldOut = await readHeldOut(store, dataDir);
    const cached = readEvaluation(dataDir, version)!;
    expect(cached.record.prompts).toEqual(heldOut.map((h) => h.caption));
    expect(m.samples).toBe(heldOut.length);
    const judged = cached.images.map((img, k) => judgeImage(img, heldOut[k].caption));
    expect(m.judgeQuality).toBeCloseTo(mean(judged.map((j) => j.quality.quality)), 10);
    expect(m.judgeMatch).toBeCloseTo(mean(judged.map((j) => j.match)), 10);
    // The gate compared it with the serving generator-0 on the same prompts and seed, sample by sample.
    const incumbent = readEvaluation(dataDir, 'generator-0')!;
    expect(incumbent.record.prompts).toEqual(cached.record.prompts);
    expect(m.judgeQualityDelta).toBeCloseTo(mean(cached.record.judgeQuality.map((q, k) => q - incumbent.record.judgeQuality[k])), 10);
    expect(m.fdFundusRatio).toBeCloseTo(cached.record.fdFundus / incumbent.record.fdFundus, 10);
    expect(lines.some((l) => l.includes(`evaluation of ${version} enqueued`))).toBe(true);
  });

  it('delivered again, under other job ids and on two workers at once: the version is evaluated and decided once', async () => {
    const payload = refinePayload(1);
    const version = versionOfRun('generator', payload);
    await jobs.enqueue(RETRAIN_JOB_NAMES.generator, payload.runId, payload);
    expect((await jobs.waitFor(RETRAIN_JOB_NAMES.generator, payload.runId, 60_000)).state).toBe('completed');
    // The chained job may be running already; two more deliveries of the same evaluation join it.
    await jobs.enqueue(EVALUATE_JOB, `${version}-again-1`, { generatorVersion: version });
    await jobs.enqueue(EVALUATE_JOB, `${version}-again-2`, { generatorVersion: version });
    const ids = [evaluateJobId(version), `${version}-again-1`, `${version}-again-2`];
    const finished: JobStatus[] = await Promise.all(ids.map((id) => jobs.waitFor(EVALUATE_JOB, id, 60_000)));
    expect(finished.map((s) => s.state)).toEqual(['completed', 'completed', 'completed']);
    const results = finished.map((s) => s.result as EvaluateJobResult);
    expect(results.filter((r) => r.decidedNow)).toHaveLength(1);
    expect(new Set(results.map((r) => `${r.status} ${r.reason}`)).size).toBe(1);
    const events = about(await generatorEvents(), version);
    expect(ofType(events, 'EvaluationCompleted')).toHaveLength(1);
    expect(ofType(events, 'ModelVersionPromoted').length + ofType(events, 'ModelVersionRejected').length).toBe(1);
  });

  it('an attempt that died between EvaluationCompleted and the decision: the next one carries out what was recorded', async () => {
    const payload = refinePayload(2);
    const version = versionOfRun('generator', payload);
    // Refined outside the worker (so nothing is chained), then evaluated by hand as a failed gate.
    const context: JobContext<TrainJobPayload> = { id: payload.runId, name: RETRAIN_JOB_NAMES.generator, payload, attempt: 1, reportProgress: async () => undefined, stopping: () => false };
    await refineGeneratorJob(deps, context);
    const recorder: Recorder = { store, correlationId: 'evaluate-test', now: () => new Date() };
    const notes = `${version} rejected against generator-0: recorded by an attempt that stopped before the decision`;
    await handle(recorder, streams.model('generator'), modelVersionDecider, { type: 'RecordEvaluation', data: { model: 'generator', version, metrics: { iteration: 9 }, passed: false, notes }, metadata: systemMetadata(recorder, 'test') });
    await jobs.enqueue(EVALUATE_JOB, evaluateJobId(version), { generatorVersion: version });
    const done = await jobs.waitFor(EVALUATE_JOB, evaluateJobId(version), 60_000);
    expect(done).toMatchObject({ state: 'completed', result: { status: 'Rejected', promoted: false, reason: notes, decidedNow: true, metrics: { iteration: 9 } } });
    const events = about(await generatorEvents(), version);
    expect(events.map((e) => e.type)).toEqual(['GeneratorRefined', 'EvaluationCompleted', 'ModelVersionRejected']);
    expect(events[2].data.reason).toBe(notes);
  });

  it('a version decided before is reported as it stands, nothing recorded', async () => {
    const before = (await generatorEvents()).length;
    await jobs.enqueue(EVALUATE_JOB, 'serving-generator-0', { generatorVersion: 'generator-0' });
    expect(await jobs.waitFor(EVALUATE_JOB, 'serving-generator-0', 60_000)).toMatchObject({ state: 'completed', result: { version: 'generator-0', decidedNow: false, promoted: true } });
    expect((await generatorEvents()).length).toBe(before);
  });

  it('a bad payload or an unknown version fails for good on the first attempt, naming it, and changes nothing', async () => {
    const before = (await generatorEvents()).length;
    const bad: [string, unknown, RegExp][] = [
      ['no-version', {}, /invalid payload: generatorVersion: /],
      ['empty-version', { generatorVersion: '' }, /invalid payload: generatorVersion: /],
      ['long-version', { generatorVersion: 'g'.repeat(201) }, /invalid payload: generatorVersion: /],
      ['unknown-version', { generatorVersion: 'generator-404' }, /generator generator-404 is not registered on model-generator/],
    ];
    for (const [id, payload] of bad) await jobs.enqueue(EVALUATE_JOB, id, payload);
    for (const [id, , reason] of bad) expect(await jobs.waitFor(EVALUATE_JOB, id, 30_000)).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(reason) });
    expect((await generatorEvents()).length).toBe(before);
    expect(fs.existsSync(checkpointDir(dataDir, 'generator', 'generator-404'))).toBe(false);
  });
});
