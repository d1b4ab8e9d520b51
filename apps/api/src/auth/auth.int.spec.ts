import { JwtService } from '@nestjs/jwt';
import { bearer, login, startHarness, type Harness } from '../testing/api-harness';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('auth over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('auth', { FORGE_LOGIN_ATTEMPTS: '3' });
  });
  afterAll(() => h?.close());

  it('logs in and returns a token that expires; the token works', async () => {
    const res = await h.http.post('/auth/login').send({ username: 'operator-user', password: 'operator-password-1' }).expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', roles: ['operator'] });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const me = await h.http.get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
    expect(me.body).toEqual({ kind: 'user', id: 'operator-user', roles: ['operator'] });
  });

  it('refuses an expired token with 401', async () => {
    const jwt = new JwtService({ secret: h.config.jwtSecret });
    const expired = await jwt.signAsync({ sub: 'admin-user', typ: 'access', exp: Math.floor(Date.now() / 1000) - 5 });
    const res = await h.http.get('/auth/me').set(bearer(expired)).expect(401);
    expect(res.body.message).toMatch(/expired/);
  });

  it('refuses a token signed with another secret, and garbage, with 401', async () => {
    const forged = await new JwtService({ secret: 'another-secret-of-some-length' }).signAsync({ sub: 'admin-user', typ: 'access' });
    await h.http.get('/auth/me').set(bearer(forged)).expect(401);
    await h.http.get('/auth/me').set(bearer('not-a-token')).expect(401);
    await h.http.get('/auth/me').expect(401);
  });

  it('wrong password → 401, then 429 after too many failures for that user and address', async () => {
    for (let i = 0; i < 3; i++) await h.http.post('/auth/login').send({ username: 'auditor-user', password: 'wrong-wrong' }).expect(401);
    const limited = await h.http.post('/auth/login').send({ username: 'auditor-user', password: 'auditor-password-1' }).expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
    // Another user from the same address is not affected.
    await login(h.http, 'expert-user', 'expert-password-1');
  });

  it('the first admin exists, roles change and disabling takes effect on existing tokens', async () => {
    const admin = h.tokens.admin;
    await h.http.post('/users').set(bearer(admin)).send({ username: 'temp', password: 'temp-password-1', roles: ['expert'], reason: 'temporary grader' }).expect(201);
    const token = await login(h.http, 'temp', 'temp-password-1');
    await h.http.get('/metrics').set(bearer(token)).expect(403);
    await h.http.put('/users/temp/roles').set(bearer(admin)).send({ roles: ['admin'], reason: 'promoted for the test' }).expect(200);
    await h.http.get('/metrics').set(bearer(token)).expect(200);
    await h.http.post('/users/temp/disable').set(bearer(admin)).send({ reason: 'left the project' }).expect(200);
    await h.http.get('/auth/me').set(bearer(token)).expect(401);
    await h.http.post('/auth/login').send({ username: 'temp', password: 'temp-password-1' }).expect(401);
    const dup = await h.http.post('/users').set(bearer(admin)).send({ username: 'temp', password: 'temp-password-2', roles: ['expert'], reason: 'again' }).expect(409);
    expect(dup.body.code).toBe('ALREADY_EXISTS');
  });

  it('a service token reads metrics but nothing user-facing', async () => {
    const res = await h.http.get('/metrics').set(bearer(h.serviceToken)).expect(200);
    expect(res.text).toMatch(/forge_http_requests_total/);
    await h.http.get('/users').set(bearer(h.serviceToken)).expect(403);
  });

  it('serves OpenAPI at /docs-json and health without a token', async () => {
    await h.http.get('/health').expect(200, { status: 'ok' });
    const doc = await h.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/auth/login', '/users']));
  });

  it('refuses unknown fields and oversized bodies', async () => {
    const res = await h.http.post('/auth/login').send({ username: 'a', password: 'b', isAdmin: true }).expect(400);
    expect(res.body.issues[0].path).toBe('isAdmin');
    const big = 'x'.repeat(h.config.maxJsonBytes + 10);
    const tooLarge = await h.http.post('/auth/login').set('Content-Type', 'application/json').send(JSON.stringify({ username: big, password: 'p' })).expect(413);
    expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
