import { bearer, startHarness, untilVisible, type Harness } from '../testing/api-harness';
import { registerTestImages } from '../testing/image-fixtures';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('audit endpoints over HTTP', () => {
  let h: Harness;
  let cutPosition: number;
  let cutTime: string;

  beforeAll(async () => {
    h = await startHarness('audit');
    const [first, second] = await registerTestImages(h, 2);
    const before = await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId: first, reason: 'before the cut' }).expect(201);
    const created = (await h.http.get(`/audit/streams/task-${before.body.taskId}`).set(bearer(h.tokens.auditor)).expect(200)).body.events[0];
    cutPosition = created.position;
    cutTime = created.recordedAt;
    await new Promise((r) => setTimeout(r, 20));
    const after = await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId: second, reason: 'after the cut' }).expect(201);
    const later = (await h.http.get(`/audit/streams/task-${after.body.taskId}`).set(bearer(h.tokens.auditor)).expect(200)).body.events[0];
    // The global log may lag commits on a busy cluster; the audit reads below are of the visible log.
    await untilVisible(h, later.position);
  });
  afterAll(() => h?.close());

  it('reads one stream with versions and hashes, password hashes redacted', async () => {
    const res = await h.http.get('/audit/streams/user-expert-user').set(bearer(h.tokens.auditor)).expect(200);
    expect(res.body.version).toBe(1);
    expect(res.body.events[0]).toMatchObject({ type: 'UserRegistered', streamVersion: 1, data: { passwordHash: '[redacted]' } });
    expect(res.body.events[0].hash).toMatch(/^[0-9a-f]{64}$/);
    await h.http.get('/audit/streams/task-does-not-exist').set(bearer(h.tokens.auditor)).expect(404);
  });

  it('pages through the whole log without gaps or repeats', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const q: string = after ? `?limit=3&after=${after}` : '?limit=3';
      const res = await h.http.get(`/audit/events${q}`).set(bearer(h.tokens.admin)).expect(200);
      seen.push(...res.body.events.map((e: { position: number }) => e.position));
      if (res.body.events.length === 0) break;
      after = res.body.next;
    }
    const all = await h.http.get('/audit/events?limit=1000').set(bearer(h.tokens.admin)).expect(200);
    expect(seen).toEqual(all.body.events.map((e: { position: number }) => e.position));
    expect(new Set(seen).size).toBe(seen.length);
    await h.http.get('/audit/events?after=12').set(bearer(h.tokens.admin)).expect(400);
  });

  it('rebuilds the state as of a position or a time: identical bytes each time, later events excluded', async () => {
    const a = await h.http.get(`/audit/state?asOfPosition=${cutPosition}`).set(bearer(h.tokens.auditor)).expect(200);
    const b = await h.http.get(`/audit/state?asOfPosition=${cutPosition}`).set(bearer(h.tokens.auditor)).expect(200);
    expect(a.text).toBe(b.text);
    const byTime = await h.http.get(`/audit/state?asOfTime=${encodeURIComponent(cutTime)}`).set(bearer(h.tokens.auditor)).expect(200);
    const now = await h.http.get(`/audit/state?asOfTime=${encodeURIComponent(new Date().toISOString())}`).set(bearer(h.tokens.auditor)).expect(200);
    expect(a.text).not.toMatch(/after the cut/);
    const tasks = (s: { text: string }) => Object.keys(JSON.parse(s.text).labelTasks).length;
    expect([tasks(a), tasks(byTime), tasks(now)]).toEqual([1, 1, 2]);
    expect(a.text).not.toMatch(/passwordHash/);
    const bad = await h.http.get('/audit/state?asOfTime=yesterday').set(bearer(h.tokens.auditor)).expect(400);
    expect(bad.body.issues[0].path).toBe('asOfTime');
    await h.http.get('/audit/state').set(bearer(h.tokens.auditor)).expect(400);
  });

  it('verifies the chains and exports JSON lines with hashes', async () => {
    const report = await h.http.get('/audit/verify').set(bearer(h.tokens.auditor)).expect(200);
    expect(report.body).toMatchObject({ ok: true, problems: [] });
    expect(report.body.events).toBeGreaterThan(8);
    const exp = await h.http.get('/audit/export').set(bearer(h.tokens.auditor)).expect(200);
    expect(exp.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = exp.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(report.body.events);
    for (const l of lines) expect(l).toEqual(expect.objectContaining({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), prevHash: expect.any(String), streamId: expect.any(String) }));
  });

  it('refuses experts and operators', async () => {
    for (const t of [h.tokens.expert, h.tokens.operator]) await h.http.get('/audit/verify').set(bearer(t)).expect(403);
  });
});
