import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../app';
import { bearer, login, startHarness, type Harness } from '../testing/api-harness';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('user changes across API processes on one database', () => {
  let h: Harness;
  let other: NestExpressApplication;
  beforeAll(async () => {
    // An hour of trust in memory: within this test only a change notice can make the other process read again.
    h = await startHarness('user_directory', { FORGE_USER_CACHE_SECONDS: '3600' });
    other = await createApp({ ...h.config, dataDir: path.join(h.tmp, 'other-data') });
    fs.mkdirSync(path.join(h.tmp, 'other-data'), { recursive: true });
  });
  afterAll(async () => {
    await other?.close();
    await h?.close();
  });

  /** Asks the other process until it answers `status`, for at most 10 s; returns the statuses seen. */
  async function otherUntil(token: string, status: number): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await request(other.getHttpServer()).get('/auth/me').set(bearer(token));
      seen.push(res.status);
      if (res.status === status) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return seen;
  }

  it('a role change and a disable made through one process reach the other one, which had the user in memory', async () => {
    const admin = h.tokens.admin;
    await h.http.post('/users').set(bearer(admin)).send({ username: 'moving', password: 'moving-password-1', roles: ['expert'], reason: 'test fixture' }).expect(201);
    const token = await login(h.http, 'moving', 'moving-password-1');
    const before = await request(other.getHttpServer()).get('/auth/me').set(bearer(token)).expect(200);
    expect(before.body.roles).toEqual(['expert']);

    await h.http.put('/users/moving/roles').set(bearer(admin)).send({ roles: ['auditor'], reason: 'moved to audit' }).expect(200);
    // In the process that made the change: at once.
    expect((await h.http.get('/auth/me').set(bearer(token)).expect(200)).body.roles).toEqual(['auditor']);
    let roles: string[] = [];
    for (let i = 0; i < 100 && roles[0] !== 'auditor'; i++) {
      roles = (await request(other.getHttpServer()).get('/auth/me').set(bearer(token)).expect(200)).body.roles;
      if (roles[0] !== 'auditor') await new Promise((r) => setTimeout(r, 100));
    }
    expect(roles).toEqual(['auditor']);

    await h.http.post('/users/moving/disable').set(bearer(admin)).send({ reason: 'left the project' }).expect(200);
    await h.http.get('/auth/me').set(bearer(token)).expect(401);
    expect((await otherUntil(token, 401)).at(-1)).toBe(401);
  });
});
