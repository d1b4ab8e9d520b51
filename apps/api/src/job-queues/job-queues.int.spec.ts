import { randomBytes, randomUUID } from 'node:crypto';
import { BullMqJobQueue, RETRAIN_JOB_NAMES } from '@forge/messaging';
import pino from 'pino';
import request from 'supertest';
import { bearer, login, startHarness, type Harness } from '../testing/api-harness';
import { QUEUE_BOARD_COOKIE } from './queue-board-cookie';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

const BOARD = ['/admin/queues', '/admin/queues/api/queues'];
const NON_ADMINS = ['expert', 'operator', 'auditor'] as const;

function redisUrl(): string {
  const url = process.env.FORGE_TEST_REDIS_URL;
  if (!url) throw new Error('FORGE_TEST_REDIS_URL is not set: start Redis with `infra/services.sh up` and source the env file it prints');
  return url;
}

/** The `name=value` pair of the board cookie from a response's Set-Cookie, and its attributes. */
function boardCookie(setCookie: string[] | string | undefined): { pair: string; attributes: string } {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith(`${QUEUE_BOARD_COOKIE}=`));
  if (!line) throw new Error(`no ${QUEUE_BOARD_COOKIE} cookie in ${JSON.stringify(setCookie)}`);
  const [pair, ...attributes] = line.split(';').map((s) => s.trim());
  return { pair, attributes: attributes.join('; ') };
}

describe('job-queue board at /admin/queues with Redis', () => {
  let h: Harness;
  let jobs: BullMqJobQueue;
  const prefix = `forge-board-${randomBytes(4).toString('hex')}`;
  const runId = randomUUID();

  beforeAll(async () => {
    h = await startHarness('jobqueues', { REDIS_URL: redisUrl(), FORGE_JOBS_PREFIX: prefix });
    // Enqueued the way the retrain trigger does, through the real BullMQ adapter (no worker: it stays waiting).
    jobs = new BullMqJobQueue(redisUrl(), { prefix, logger: pino({ level: 'silent' }) });
    await jobs.enqueue(RETRAIN_JOB_NAMES.selector, runId, { runId, model: 'selector', upToPosition: 40, newRatings: 20 });
  });
  afterAll(async () => {
    for (const name of Object.values(RETRAIN_JOB_NAMES)) await jobs?.obliterate(name);
    await jobs?.close();
    await h?.close();
  });

  it('refuses callers without credentials (401) and every role but admin (403), the session too', async () => {
    for (const url of BOARD) await h.http.get(url).expect(401);
    await h.http.post('/admin/queues/session').expect(401);
    for (const role of NON_ADMINS) {
      for (const url of BOARD) await h.http.get(url).set(bearer(h.tokens[role])).expect(403);
      await h.http.put('/admin/queues/api/queues/pause').set(bearer(h.tokens[role])).expect(403);
      await h.http.post('/admin/queues/session').set(bearer(h.tokens[role])).expect(403);
    }
    await h.http.get('/admin/queues/api/queues').set(bearer(h.serviceToken)).expect(403);
  });

  it('shows an admin the queue with the enqueued job, and serves the page with its base path', async () => {
    const res = await h.http.get(`/admin/queues/api/queues?activeQueue=${RETRAIN_JOB_NAMES.selector}&status=latest`).set(bearer(h.tokens.admin)).expect(200);
    const names = res.body.queues.map((q: { name: string }) => q.name).sort();
    expect(names).toEqual(Object.values(RETRAIN_JOB_NAMES).sort());
    const selector = res.body.queues.find((q: { name: string }) => q.name === RETRAIN_JOB_NAMES.selector);
    expect(selector.counts.waiting).toBe(1);
    expect(selector.jobs.map((j: { id: string; data: unknown }) => [j.id, j.data])).toEqual([[runId, { runId, model: 'selector', upToPosition: 40, newRatings: 20 }]]);

    const page = await h.http.get('/admin/queues').set(bearer(h.tokens.admin)).expect(200);
    expect(page.text).toContain('<base href="/admin/queues/"');
    expect(page.headers['x-frame-options']).toBe('DENY');
    // Behind the portal (which serves the API under /api) the page's scripts and calls must go through it.
    const proxied = await h.http.get('/admin/queues').set(bearer(h.tokens.admin)).set('X-Forwarded-Prefix', '/api').expect(200);
    expect(proxied.text).toContain('<base href="/api/admin/queues/"');
    const hostile = await h.http.get('/admin/queues').set(bearer(h.tokens.admin)).set('X-Forwarded-Prefix', '"><script>x()</script>').expect(200);
    expect(hostile.text).toContain('<base href="/admin/queues/"');
    await h.http.get('/admin/queues/static/favicon-32x32.png').set(bearer(h.tokens.admin)).expect(200).expect('Content-Type', 'image/png');
  });

  it('lets the admin act on a queue (PUT) but not add jobs (POST)', async () => {
    const name = RETRAIN_JOB_NAMES.policy;
    await h.http.put(`/admin/queues/api/queues/${name}/pause`).set(bearer(h.tokens.admin)).expect(200);
    const paused = await h.http.get('/admin/queues/api/queues').set(bearer(h.tokens.admin)).expect(200);
    expect(paused.body.queues.find((q: { name: string }) => q.name === name).isPaused).toBe(true);
    await h.http.put(`/admin/queues/api/queues/${name}/resume`).set(bearer(h.tokens.admin)).expect(200);
    await h.http.post(`/admin/queues/api/queues/${name}/add`).set(bearer(h.tokens.admin)).send({ name, data: {} }).expect(404);
  });

  it('a browser opens the board with the HttpOnly, SameSite=Strict cookie from the session POST; it follows the user’s roles', async () => {
    const res = await h.http.post('/admin/queues/session').set(bearer(h.tokens.admin)).expect(200);
    expect(res.body.board).toBe('/admin/queues');
    const { pair, attributes } = boardCookie(res.headers['set-cookie']);
    expect(attributes).toMatch(/Max-Age=600/);
    expect(attributes).toMatch(/Path=\/admin\/queues(;|$)/);
    expect(attributes).toMatch(/HttpOnly/);
    expect(attributes).toMatch(/SameSite=Strict/);
    for (const url of BOARD) await h.http.get(url).set('Cookie', pair).expect(200);
    await h.http.put('/admin/queues/api/queues/resume').set('Cookie', pair).expect(200);

    // The cookie is no bearer token, and a bearer token is no cookie.
    await h.http.get('/auth/me').set(bearer(pair.split('=')[1])).expect(401);
    await h.http.get('/admin/queues/api/queues').set('Cookie', `${QUEUE_BOARD_COOKIE}=${h.tokens.admin}`).expect(401);
    await h.http.get('/admin/queues/api/queues').set('Cookie', `${QUEUE_BOARD_COOKIE}=garbage`).expect(401);
    // It only works on the board: other routes still need the bearer header.
    await h.http.get('/users').set('Cookie', pair).expect(401);

    // An admin demoted after taking the cookie is refused at once.
    await h.http.post('/users').set(bearer(h.tokens.admin)).send({ username: 'board-admin', password: 'board-password-1', roles: ['admin'], reason: 'board test' }).expect(201);
    const own = boardCookie((await h.http.post('/admin/queues/session').set(bearer(await login(h.http, 'board-admin', 'board-password-1'))).expect(200)).headers['set-cookie']);
    await h.http.get('/admin/queues/api/queues').set('Cookie', own.pair).expect(200);
    await h.http.put('/users/board-admin/roles').set(bearer(h.tokens.admin)).send({ roles: ['auditor'], reason: 'no longer runs the queues' }).expect(200);
    await h.http.get('/admin/queues/api/queues').set('Cookie', own.pair).expect(403);
  });

  it('DELETE /admin/queues/session expires the cookie in the browser: the board answers 401 after sign-out', async () => {
    // An agent keeps cookies the way a browser does (path, expiry), so this is the board as a signed-out browser sees it.
    const browser = request.agent(h.app.getHttpServer());
    await browser.post('/admin/queues/session').set(bearer(h.tokens.admin)).expect(200);
    await browser.get('/admin/queues/api/queues').expect(200);

    const res = await browser.delete('/admin/queues/session').expect(204);
    const { pair, attributes } = boardCookie(res.headers['set-cookie']);
    expect(pair).toBe(`${QUEUE_BOARD_COOKIE}=`);
    expect(attributes).toMatch(/Path=\/admin\/queues(;|$)/);
    expect(attributes).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(attributes).toMatch(/HttpOnly/);
    expect(attributes).toMatch(/SameSite=Strict/);
    expect(res.headers['cache-control']).toBe('no-store');
    for (const url of BOARD) await browser.get(url).expect(401);
    // Signing out twice, or with no cookie and no token at all, is not an error.
    await browser.delete('/admin/queues/session').expect(204);
    await h.http.delete('/admin/queues/session').expect(204);
  });
});

describe('job-queue board in embedded mode (no Redis)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('jobqueues_embedded');
  });
  afterAll(() => h?.close());

  it('still refuses others, and tells an admin the queues run in-process (503), as JSON and as a page', async () => {
    for (const url of BOARD) await h.http.get(url).expect(401);
    for (const url of BOARD) await h.http.get(url).set(bearer(h.tokens.expert)).expect(403);
    const json = await h.http.get('/admin/queues/api/queues').set(bearer(h.tokens.admin)).expect(503);
    expect(json.body).toMatchObject({ statusCode: 503, code: 'JOB_QUEUES_IN_PROCESS' });
    expect(json.body.message).toMatch(/run in-process: no REDIS_URL is configured.*train-selector, train-policy, refine-generator/);
    const page = await h.http.get('/admin/queues').set(bearer(h.tokens.admin)).set('Accept', 'text/html').expect(503).expect('Content-Type', /html/);
    expect(page.text).toContain('<h1>Job queues run in-process</h1>');
  });
});
