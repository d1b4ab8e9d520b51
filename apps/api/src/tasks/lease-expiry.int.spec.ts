import { bearer, startHarness, type Harness } from '../testing/api-harness';
import { registerTestImages } from '../testing/image-fixtures';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('task leases over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('leases', { FORGE_LEASE_SECONDS: '1' });
  });
  afterAll(() => h?.close());

  it('a lease that ran out: the rating is refused (409), the task leaves the queue and goes to another expert', async () => {
    const [imageId] = await registerTestImages(h, 1);
    const { taskId } = (await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId, reason: 'lease test' }).expect(201)).body;
    await h.http.post('/tasks/claim').set(bearer(h.tokens.expert)).send({}).expect(200);
    // While the lease runs the task is full for everyone else.
    await h.http.post('/tasks/claim').set(bearer(h.tokens.expert2)).send({}).expect(404);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await h.http.get('/tasks/mine').set(bearer(h.tokens.expert)).expect(200)).body).toEqual([]);
    const late = await h.http.post(`/tasks/${taskId}/ratings`).set(bearer(h.tokens.expert)).send({ quality: 2, alignment: 2, msSpent: 5 }).expect(409);
    expect(late.body.code).toBe('LEASE_EXPIRED');
    const claimed = await h.http.post('/tasks/claim').set(bearer(h.tokens.expert2)).send({}).expect(200);
    expect(claimed.body.taskId).toBe(taskId);
    const stream = await h.http.get(`/audit/streams/task-${taskId}`).set(bearer(h.tokens.auditor)).expect(200);
    expect(stream.body.events.map((e: { type: string }) => e.type)).toEqual(['LabelTaskCreated', 'LabelTaskAssigned', 'LabelTaskReleased', 'LabelTaskAssigned']);
  });
});
