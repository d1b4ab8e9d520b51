import { streams } from '@forge/domain';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { bearer, startHarness, type Harness } from '../testing/api-harness';
import { registerTestImages } from '../testing/image-fixtures';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('label tasks and ratings over HTTP', () => {
  let h: Harness;
  let store: EventStore;
  let images: string[];
  const good = { quality: 3, alignment: 2, flags: ['noise'], comment: 'fine', msSpent: 1200 };

  beforeAll(async () => {
    h = await startHarness('ratings');
    store = h.app.get(EVENT_STORE);
    images = await registerTestImages(h, 4);
  });
  afterAll(() => h?.close());

  const createTask = async (imageId: string, extra: object = {}) =>
    (await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId, reason: 'uncertain selector', ...extra }).expect(201)).body.taskId as string;

  it('claim → queue → image → rate → completed, with actor and reason in metadata', async () => {
    const taskId = await createTask(images[0], { priority: 900 });
    await h.http.get(`/images/${images[0]}/file`).set(bearer(h.tokens.expert)).expect(403);
    const claimed = await h.http.post('/tasks/claim').set(bearer(h.tokens.expert)).send({}).expect(200);
    expect(claimed.body.taskId).toBe(taskId);
    const queue = await h.http.get('/tasks/mine').set(bearer(h.tokens.expert)).expect(200);
    expect(queue.body.map((t: { taskId: string }) => t.taskId)).toEqual([taskId]);
    expect((await h.http.get('/tasks/mine').set(bearer(h.tokens.expert2)).expect(200)).body).toEqual([]);
    const png = await h.http.get(`/images/${images[0]}/file`).set(bearer(h.tokens.expert)).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    await h.http.get(`/images/${images[0]}/file`).set(bearer(h.tokens.expert2)).expect(403);

    const rated = await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send(good).expect(201);
    expect(rated.body.taskCompleted).toBe(true);
    const events = await store.readStream(streams.task(taskId));
    expect(events.map((e) => e.type)).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted']);
    expect(events[0].metadata).toMatchObject({ actor: { kind: 'operator', id: 'operator-user' }, reason: 'uncertain selector' });
    expect(events[2].metadata).toMatchObject({ actor: { kind: 'expert', id: 'expert-user' }, reason: 'expert rating' });
    const mine = await h.http.get('/ratings/mine').set(bearer(h.tokens.expert)).expect(200);
    expect(mine.body[0]).toMatchObject({ taskId, quality: 3, alignment: 2 });
    expect((await h.http.get('/ratings/mine').set(bearer(h.tokens.expert2)).expect(200)).body).toEqual([]);
  });

  it('bad rating bodies → 400 naming the field, and nothing appended', async () => {
    const taskId = await createTask(images[1], { priority: 800 });
    await h.http.post('/tasks/claim').set(bearer(h.tokens.expert)).send({}).expect(200);
    const before = (await store.readStream(streams.task(taskId))).length;
    const cases: [object, string][] = [
      [{ ...good, quality: 4 }, 'quality'],
      [{ ...good, alignment: 0 }, 'alignment'],
      [{ ...good, quality: 2.5 }, 'quality'],
      [{ ...good, quality: '3' }, 'quality'],
      [{ ...good, flags: ['noise', 'sparkly'] }, 'flags.1'],
      [{ ...good, comment: 'x'.repeat(2001) }, 'comment'],
      [{ ...good, msSpent: -1 }, 'msSpent'],
      [{ ...good, grade: 'A' }, 'grade'],
      [{ quality: 3, alignment: 3, flags: [], comment: '' }, 'msSpent'],
    ];
    for (const [body, field] of cases) {
      const res = await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send(body).expect(400);
      expect(res.body.code).toBe('INVALID_INPUT');
      expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    expect(await store.readStream(streams.task(taskId))).toHaveLength(before);
  });

  it('concurrent ratings on one task: exactly one wins, the rest get 409', async () => {
    const taskId = await createTask(images[2], { priority: 700 });
    const claimed = await h.http.post('/tasks/claim').set(bearer(h.tokens.expert2)).send({}).expect(200);
    expect(claimed.body.taskId).toBe(taskId);
    const results = await Promise.all(Array.from({ length: 6 }, () => h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert2)).send(good)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const late = await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert2)).send(good).expect(409);
    expect(late.body.code).toBe('TASK_ALREADY_COMPLETED');
    const ratings = (await store.readStream(streams.task(taskId))).filter((e) => e.type === 'RatingSubmitted');
    expect(ratings).toHaveLength(1);
  });

  it('rating without a lease → 409; undo of the last rating reopens the task for the same expert', async () => {
    const taskId = await createTask(images[3], { priority: 1 });
    const noLease = await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send(good).expect(409);
    expect(noLease.body.code).toBe('LEASE_REQUIRED');
    // expert-user still holds images[1]'s task from the bad-body test; claiming gives the next one.
    const claimed = await h.http.post('/tasks/claim').set(bearer(h.tokens.expert)).send({}).expect(200);
    expect(claimed.body.taskId).toBe(taskId);
    await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send({ ...good, quality: 1 }).expect(201);
    const undo = await h.http.post('/ratings/mine/last/retract').set(bearer(h.tokens.expert)).send({ reason: 'pressed the wrong key' }).expect(200);
    expect(undo.body.taskId).toBe(taskId);
    const queue = await h.http.get('/tasks/mine').set(bearer(h.tokens.expert)).expect(200);
    expect(queue.body.map((t: { taskId: string }) => t.taskId)).toContain(taskId);
    await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send(good).expect(201);
    const types = (await store.readStream(streams.task(taskId))).map((e) => e.type);
    expect(types).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted', 'RatingRetracted', 'LabelTaskAssigned', 'RatingSubmitted', 'LabelTaskCompleted']);
    const mine = (await h.http.get('/ratings/mine').set(bearer(h.tokens.expert)).expect(200)).body;
    expect(mine.filter((r: { taskId: string; retracted: boolean }) => r.taskId === taskId).map((r: { retracted: boolean }) => r.retracted)).toEqual([false, true]);
  });

  it('an empty queue answers 404, and a task for an unknown image 404', async () => {
    await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId: 'nope', reason: 'test' }).expect(404);
    await h.http.post('/tasks/claim').set(bearer(h.tokens.expert2)).send({}).expect(404);
  });
});
