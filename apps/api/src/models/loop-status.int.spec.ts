// GET /models/loop on PostgreSQL: generator iterations and a signed rejection recorded through the API,
// ratings submitted by an expert, a retraining triggered part-way, a run still training.
import { createHash } from 'node:crypto';
import { modelVersionDecider, streams, trainingRunDecider } from '@forge/domain';
import { commandMetadata } from '../store/command-metadata';
import { decideAndAppend } from '../store/decide-and-append';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { bearer, startHarness, type Harness } from '../testing/api-harness';
import { registerTestImages } from '../testing/image-fixtures';

jest.setTimeout(60_000);

describe("the loop's status over HTTP", () => {
  let h: Harness;
  let store: EventStore;

  beforeAll(async () => {
    h = await startHarness('loop_status');
    store = h.app.get(EVENT_STORE);
  });
  afterAll(() => h?.close());

  async function evaluatedGenerator(version: string, iteration: number, judgeQuality: number) {
    const metadata = commandMetadata('system', `loop iteration ${iteration}`);
    const sha256 = createHash('sha256').update(version).digest('hex');
    await decideAndAppend(store, streams.model('generator'), modelVersionDecider, { type: 'RegisterCandidate', data: { model: 'generator', version, runId: null, parentVersion: null, sha256, method: 'reward-weighted', rewardBefore: 0.4, rewardAfter: 0.5 }, metadata });
    await decideAndAppend(store, streams.model('generator'), modelVersionDecider, {
      type: 'RecordEvaluation',
      data: { model: 'generator', version, metrics: { iteration, judgeQuality }, passed: iteration === 0, notes: `iteration ${iteration}` },
      metadata,
    });
  }

  /** One rating by the expert on a fresh task; returns the RatingSubmitted's global position. */
  async function rateOne(): Promise<number> {
    const [imageId] = await registerTestImages(h, 1);
    const { taskId } = (await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId, reason: 'loop status test' }).expect(201)).body;
    await h.http.post('/tasks/claim').set(bearer(h.tokens.expert)).send({}).expect(200);
    await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send({ quality: 2, alignment: 3, flags: [], comment: '', msSpent: 500 }).expect(201);
    return (await store.readStream(streams.task(taskId))).find((e) => e.type === 'RatingSubmitted')!.position;
  }

  it('starts empty', async () => {
    const res = await h.http.get('/models/loop').set(bearer(h.tokens.operator)).expect(200);
    expect(res.body).toMatchObject({ iterations: 0, latestIteration: null, lastDecision: null, ratings: 0, activeRun: null, runs: { Triggered: 0, Running: 0, Completed: 0, Failed: 0 } });
  });

  it('names the latest iteration, the signed rejection with its reason, and the ratings since the last trigger', async () => {
    await evaluatedGenerator('generator-0', 0, 0.41);
    await evaluatedGenerator('generator-1', 1, 0.38);
    const password = 'operator-password-1';
    await h.http.post('/models/generator/versions/generator-0/promote').set(bearer(h.tokens.operator)).send({ password, reason: 'the pretrained baseline' }).expect(200);
    await h.http.post('/models/generator/versions/generator-1/reject').set(bearer(h.tokens.operator)).send({ password, reason: 'judge quality fell by 0.03' }).expect(200);

    const first = await rateOne();
    await rateOne();
    await rateOne();
    const runId = 'selector-after-first-rating';
    const metadata = commandMetadata('system', 'retrain trigger');
    await decideAndAppend(store, streams.run(runId), trainingRunDecider, { type: 'TriggerRetraining', data: { runId, model: 'selector', upToPosition: first, newRatings: 1 }, metadata });
    await decideAndAppend(store, streams.run(runId), trainingRunDecider, {
      type: 'StartTraining',
      data: { runId, model: 'selector', config: { steps: 40 }, dataUpToPosition: first, backend: 'cpu' },
      metadata,
    });
    await decideAndAppend(store, streams.run(runId), trainingRunDecider, { type: 'SaveCheckpoint', data: { runId, step: 10, sha256: 'a'.repeat(64), metrics: { loss: 0.3 } }, metadata });

    const res = await h.http.get('/models/loop').set(bearer(h.tokens.admin)).expect(200);
    expect(res.body.iterations).toBe(2);
    expect(res.body.latestIteration).toMatchObject({ iteration: 1, version: 'generator-1', status: 'rejected', passed: false, metrics: { iteration: 1, judgeQuality: 0.38 } });
    expect(res.body.serving.generator).toBe('generator-0');
    expect(res.body.lastDecision).toMatchObject({ model: 'generator', version: 'generator-1', decision: 'rejected', reason: 'judge quality fell by 0.03', actor: { kind: 'operator', id: 'operator-user' } });
    expect(res.body.ratings).toBe(3);
    const byModel = Object.fromEntries(res.body.retraining.map((r: { model: string }) => [r.model, r]));
    expect(byModel.selector).toMatchObject({ ratingsSinceLastTrigger: 2, lastTrigger: { runId, newRatings: 1, upToPosition: first } });
    expect(byModel.policy).toMatchObject({ ratingsSinceLastTrigger: 3, lastTrigger: null });
    expect(res.body.runs).toEqual({ Triggered: 0, Running: 1, Completed: 0, Failed: 0 });
    expect(res.body.activeRun).toMatchObject({ runId, model: 'selector', lastStep: 10, plannedSteps: 40 });
  });

  it('is for operators and admins only', async () => {
    for (const role of ['expert', 'auditor'] as const) await h.http.get('/models/loop').set(bearer(h.tokens[role])).expect(403);
    await h.http.get('/models/loop').expect(401);
  });
});
