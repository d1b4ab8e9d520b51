import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { openEventStore, type RecordedEvent, type SqlEventStore } from '@forge/event-store';
import { streams, trainingRunDecider } from '@forge/domain';
import { InProcessJobQueue, RETRAIN_JOB_NAMES, runIdFor, type JobWorker } from '@forge/messaging';
import { initBackend } from '@forge/ml';
import { runLoop } from '../loop';
import { LOOP_PRESETS } from '../presets';
import { handle, systemMetadata, type Recorder } from '../record';
import { GENERATE_JOB, ROUTE_JOB, SCORE_JOB, versionOfRun, type TrainJobPayload } from './definitions';
import { startLoopWorker } from './worker';

// The loop's jobs on the in-process queue of an embedded deployment (PGlite in a temp folder):
// payload validation, a run that cannot succeed, a stop and resume, idempotency, generation, scoring, refinement.

jest.setTimeout(120_000);

const preset = LOOP_PRESETS.tiny;
const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);

describe('loop jobs on the in-process queue (embedded store, tiny preset)', () => {
  let dir: string;
  let store: SqlEventStore;
  let head: number;
  let jobs: InProcessJobQueue;
  let worker: JobWorker | undefined;
  const lines: string[] = [];
  const start = async () => (worker = await startLoopWorker(jobs, { store, dataDir: dir, preset, checkpointEvery: 10, log: (l) => lines.push(l) }));

  beforeAll(async () => {
    await initBackend({ threads: 1, log: () => undefined });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-loop-jobs-'));
    store = await openEventStore({ dataDir: dir });
    await runLoop({ store, dataDir: dir, preset, iterations: 0 });
    head = Math.max(...(await store.readAll({ limit: 100_000 })).map((e) => e.position));
  });

  beforeEach(() => {
    jobs = new InProcessJobQueue({ attempts: 2, backoffMs: 10, logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await jobs.close();
  });

  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails a bad payload for good on the first attempt, naming the field', async () => {
    await start();
    await jobs.enqueue(RETRAIN_JOB_NAMES.selector, 'bad-id', { runId: 'not-a-uuid', model: 'selector', upToPosition: head, newRatings: 3 });
    await jobs.enqueue(RETRAIN_JOB_NAMES.selector, 'wrong-model', { runId: runIdFor('policy', head), model: 'policy', upToPosition: head, newRatings: 3 });
    await jobs.enqueue(RETRAIN_JOB_NAMES.policy, 'bad-steps', { runId: runIdFor('policy', head), model: 'policy', upToPosition: head, newRatings: 3, steps: 0 });
    expect(await jobs.waitFor(RETRAIN_JOB_NAMES.selector, 'bad-id')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/invalid payload: runId: /) });
    expect(await jobs.waitFor(RETRAIN_JOB_NAMES.selector, 'wrong-model')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/model: job train-selector trains the selector/) });
    expect(await jobs.waitFor(RETRAIN_JOB_NAMES.policy, 'bad-steps')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/steps: /) });
  });

  it('a run with nothing to train on fails for good and records TrainingFailed (not retryable)', async () => {
    await start();
    // Position 1 holds the phantom world's import only: no ratings yet. The trigger would have recorded the run first.
    const runId = runIdFor('selector', 1);
    const recorder: Recorder = { store, correlationId: runId, now: () => new Date() };
    await handle(recorder, streams.run(runId), trainingRunDecider, { type: 'TriggerRetraining', data: { runId, model: 'selector', upToPosition: 1, newRatings: 1 }, metadata: systemMetadata(recorder, 'test trigger') });
    await jobs.enqueue(RETRAIN_JOB_NAMES.selector, runId, { runId, model: 'selector', upToPosition: 1, newRatings: 1 });
    const failed = await jobs.waitFor(RETRAIN_JOB_NAMES.selector, runId);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/no rated training images up to position 1/) });
    const events = await store.readStream(streams.run(runId));
    expect(events.map((e) => e.type)).toEqual(['RetrainingTriggered', 'TrainingFailed']);
    expect(events[1].data).toMatchObject({ retryable: false, error: expect.stringMatching(/no rated training images/) });
  });

  it('a worker closing mid-training puts the job back; restarted, it resumes from the partial checkpoint; a repeated job trains nothing', async () => {
    const payload: TrainJobPayload = { runId: runIdFor('policy', head), model: 'policy', upToPosition: head, newRatings: 4, steps: 120 };
    await start();
    await jobs.enqueue(RETRAIN_JOB_NAMES.policy, payload.runId, payload);
    for (;;) {
      const s = await jobs.getJob(RETRAIN_JOB_NAMES.policy, payload.runId);
      if (((s?.progress as { checkpointStep?: number }).checkpointStep ?? 0) >= 20) break;
      if (s?.state === 'completed' || s?.state === 'failed') throw new Error(`job ended before it could be stopped: ${s.state} ${s.failedReason ?? ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await worker!.close();
    const stopped = await jobs.getJob(RETRAIN_JOB_NAMES.policy, payload.runId);
    expect(stopped).toMatchObject({ state: 'waiting', attempts: 0 });
    const stream = streams.run(payload.runId);
    const atStop = await store.readStream(stream);
    expect(ofType(atStop, 'TrainingStarted')).toHaveLength(1);
    expect(ofType(atStop, 'TrainingCompleted')).toHaveLength(0);
    const stoppedAt = Math.max(...ofType(atStop, 'CheckpointSaved').map((e) => Number(e.data.step)));

    await start();
    const done = await jobs.waitFor(RETRAIN_JOB_NAMES.policy, payload.runId, 60_000);
    expect(done).toMatchObject({ state: 'completed', result: { trainedNow: true, resumedFrom: stoppedAt, version: versionOfRun('policy', payload) } });
    // The same run asked for again (another job id, same run id): recorded as completed, nothing trained.
    await jobs.enqueue(RETRAIN_JOB_NAMES.policy, 'again', payload);
    expect(await jobs.waitFor(RETRAIN_JOB_NAMES.policy, 'again')).toMatchObject({ state: 'completed', result: { trainedNow: false, version: versionOfRun('policy', payload) } });

    const events = await store.readStream(stream);
    expect(ofType(events, 'TrainingStarted')).toHaveLength(1);
    expect(ofType(events, 'TrainingCompleted')).toHaveLength(1);
    // Stage 2: selector-0 serves at this position and scores the pairs.
    expect(ofType(events, 'TrainingStarted')[0].data).toMatchObject({ config: { stage: 2, scorer: 'selector-0', parent: 'policy-0', steps: 120 } });
    const updates = (await store.readStream(streams.model('policy'))).filter((e) => e.type === 'PolicyUpdated' && e.data.version === versionOfRun('policy', payload));
    expect(updates).toHaveLength(1);
    expect(updates[0].data).toMatchObject({ stage: 2, parentVersion: 'policy-0', runId: payload.runId });
    expect(lines.some((l) => l.includes(`resumed from step ${stoppedAt}`))).toBe(true);
    // Decided once on the validation ratings against policy-0, the same rule as the embedded loop.
    const version = versionOfRun('policy', payload);
    const decisions = (await store.readStream(streams.model('policy'))).filter((e) => (e.type === 'ModelVersionPromoted' || e.type === 'ModelVersionRejected') && e.data.version === version);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].metadata.reason).toMatch(new RegExp(`policy ${version}: validation AUC ([0-9.]+|n/a) against ([0-9.]+|n/a) for policy-0`));
    expect(done.result).toMatchObject({ promoted: decisions[0].type === 'ModelVersionPromoted' });
    expect((await jobs.getJob(RETRAIN_JOB_NAMES.policy, 'again'))?.result).toMatchObject({ promoted: decisions[0].type === 'ModelVersionPromoted' });
    expect(ofType(await store.readStream(streams.model('policy')), 'EvaluationCompleted').filter((e) => e.data.modelVersion === version)).toHaveLength(1);
  });

  it('generate samples a batch once (a repeated job reads it back), score records each version\'s scores once, route creates each task once', async () => {
    await start();
    const generate = { generatorVersion: 'generator-0', batch: 'jobs-test', prompts: ['moderate diabetic retinopathy', 'healthy fundus', 'drusen near the macula'], seed: 77 };
    await jobs.enqueue(GENERATE_JOB, 'g1', generate);
    const first = await jobs.waitFor(GENERATE_JOB, 'g1', 60_000);
    expect(first.state).toBe('completed');
    const imageIds = (first.result as { imageIds: string[] }).imageIds;
    expect(imageIds).toHaveLength(3);
    await jobs.enqueue(GENERATE_JOB, 'g2', generate);
    expect(await jobs.waitFor(GENERATE_JOB, 'g2', 60_000)).toMatchObject({ state: 'completed', result: { imageIds } });
    for (const id of imageIds) expect(ofType(await store.readStream(streams.image(id)), 'ImageGenerated')).toHaveLength(1);

    const score = { selectorVersion: 'selector-0', policyVersion: 'policy-0', imageIds };
    await jobs.enqueue(SCORE_JOB, 's1', score);
    await jobs.enqueue(SCORE_JOB, 's2', score);
    const scored = await jobs.waitFor(SCORE_JOB, 's1', 60_000);
    expect(scored.state).toBe('completed');
    expect((scored.result as { scores: { imageId: string; score: number }[] }).scores.map((s) => s.imageId)).toEqual(imageIds);
    expect((await jobs.waitFor(SCORE_JOB, 's2', 60_000)).state).toBe('completed');
    for (const id of imageIds) {
      const events = await store.readStream(streams.image(id));
      expect(ofType(events, 'SelectorScored')).toHaveLength(1);
      expect(ofType(events, 'AlignmentScored')).toHaveLength(1);
    }
    await jobs.enqueue(SCORE_JOB, 'unknown-version', { ...score, selectorVersion: 'selector-404' });
    expect(await jobs.waitFor(SCORE_JOB, 'unknown-version')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/selector selector-404: no checkpoint/) });

    // route: the most uncertain images (by the recorded ensemble spread) become label tasks, with the reason recorded.
    const spread = new Map<string, number>();
    for (const id of imageIds) spread.set(id, ofType(await store.readStream(streams.image(id)), 'SelectorScored')[0].data.uncertainty as number);
    const gold = (await store.readAll({ limit: 100_000 })).find((e) => e.type === 'ImageRegistered' && e.data.origin === 'real' && (e.data.labels as { split?: string }).split !== 'heldout')!.data.imageId as string;
    const routePayload = { round: 'jobs-test-r1', selectorVersion: 'selector-0', imageIds, goldImageIds: [gold], budget: 3, ratersPerTask: 2, raterCap: 3 };
    await jobs.enqueue(ROUTE_JOB, 'r1', routePayload);
    const routed = await jobs.waitFor(ROUTE_JOB, 'r1', 60_000);
    expect(routed.state).toBe('completed');
    const tasks = (routed.result as { tasks: { taskId: string; imageId: string; reason: string; createdNow: boolean }[] }).tasks;
    expect(tasks.map((t) => t.reason).sort()).toEqual(['gold', 'uncertain', 'uncertain']);
    expect(tasks.find((t) => t.reason === 'gold')!.imageId).toBe(gold);
    const mostCertain = [...imageIds].sort((a, b) => spread.get(a)! - spread.get(b)!)[0];
    if (new Set(spread.values()).size === imageIds.length) expect(tasks.map((t) => t.imageId)).not.toContain(mostCertain);
    for (const t of tasks) {
      const created = ofType(await store.readStream(streams.task(t.taskId)), 'LabelTaskCreated');
      expect(created).toHaveLength(1);
      expect(created[0].data).toMatchObject({ imageId: t.imageId, reason: t.reason, ratersWanted: 2, raterCap: 3 });
      expect(created[0].metadata.reason).toContain('jobs-test-r1');
    }
    // Delivered again: the same tasks, none created twice.
    await jobs.enqueue(ROUTE_JOB, 'r1-again', routePayload);
    const again = await jobs.waitFor(ROUTE_JOB, 'r1-again', 60_000);
    expect((again.result as { tasks: { taskId: string; createdNow: boolean }[] }).tasks).toEqual(tasks.map((t) => ({ ...t, createdNow: false })));
    // Images the selector has not scored, or a gold image that is not a real training image: refused, nothing created.
    const before = (await store.readAll({ limit: 100_000 })).length;
    await jobs.enqueue(ROUTE_JOB, 'r-unscored', { ...routePayload, round: 'jobs-test-r2', selectorVersion: 'selector-404' });
    expect(await jobs.waitFor(ROUTE_JOB, 'r-unscored')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/no score from selector selector-404: run the score job first/) });
    await jobs.enqueue(ROUTE_JOB, 'r-bad-gold', { ...routePayload, round: 'jobs-test-r3', goldImageIds: [imageIds[0]] });
    expect(await jobs.waitFor(ROUTE_JOB, 'r-bad-gold')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/gold images must be real training images/) });
    await jobs.enqueue(ROUTE_JOB, 'r-bad-payload', { ...routePayload, budget: 0, raterCap: 1 });
    expect(await jobs.waitFor(ROUTE_JOB, 'r-bad-payload')).toMatchObject({ state: 'failed', attempts: 1, failedReason: expect.stringMatching(/budget:.*raterCap|raterCap.*budget|budget/) });
    expect((await store.readAll({ limit: 100_000 })).length).toBe(before);
  });

  it('refine-generator refines the serving generator towards the serving selector and registers the candidate', async () => {
    const payload: TrainJobPayload = { runId: runIdFor('generator', head), model: 'generator', upToPosition: head, newRatings: 4 };
    await start();
    await jobs.enqueue(RETRAIN_JOB_NAMES.generator, payload.runId, payload);
    const done = await jobs.waitFor(RETRAIN_JOB_NAMES.generator, payload.runId, 60_000);
    expect(done).toMatchObject({ state: 'completed', result: { trainedNow: true, version: versionOfRun('generator', payload), steps: preset.refine.steps } });
    const refined = (await store.readStream(streams.model('generator'))).filter((e) => e.type === 'GeneratorRefined' && e.data.version === versionOfRun('generator', payload));
    expect(refined).toHaveLength(1);
    expect(refined[0].data).toMatchObject({ parentVersion: 'generator-0', method: preset.refine.method, runId: payload.runId });
    expect(Number.isFinite(refined[0].data.rewardBefore as number) && Number.isFinite(refined[0].data.rewardAfter as number)).toBe(true);
  });
});
