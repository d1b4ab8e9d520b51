// RBAC from the outside: every route the server serves × every caller (four roles, a service
// token, no token). The table below is the single source of truth for who may call what; a
// route that is served but missing from it, or listed but not served, fails the test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { bearer, startHarness, type Harness } from './testing/api-harness';
import { fundusPng } from './testing/fundus-png';
import { registerTestImages } from './testing/image-fixtures';
import { registeredRoutes } from './testing/routes';
import { evaluatedSelector } from './models/candidate-fixture';
import { EVENT_STORE } from './store/event-store.token';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

type Caller = 'expert' | 'operator' | 'auditor' | 'admin' | 'service' | 'none';
const CALLERS: Caller[] = ['expert', 'operator', 'auditor', 'admin', 'service', 'none'];

interface Ctx {
  h: Harness;
  token(caller: Caller): string | undefined;
  image(): Promise<string>;
  task(): Promise<string>;
  /** A task claimed by this caller (when it can claim). */
  claimed(caller: Caller): Promise<string>;
  user(): Promise<string>;
  n(): number;
}

interface Entry {
  allow: 'public' | Caller[];
  /** For public routes whose answer is not a 2xx for everyone alike. */
  publicStatus?: number;
  /** Builds the request for one caller; allowed callers must get a 2xx from it. */
  request(ctx: Ctx, caller: Caller, req: (method: string, url: string) => Test): PromiseLike<{ status: number; body: unknown }>;
}

const rating = { quality: 2, alignment: 3, flags: [], comment: '', msSpent: 900 };
const docs: Entry = { allow: 'public', request: (_c, _r, req) => req('GET', '') };

const MATRIX: Record<string, Entry> = {
  'GET /health': { allow: 'public', request: (_c, _r, req) => req('GET', '/health') },
  'GET /docs': { ...docs, request: (_c, _r, req) => req('GET', '/docs') },
  'GET /docs/': { ...docs, request: (_c, _r, req) => req('GET', '/docs/') },
  'GET /docs/index.html': { ...docs, request: (_c, _r, req) => req('GET', '/docs/index.html') },
  'GET /docs/swagger-ui-init.js': { ...docs, request: (_c, _r, req) => req('GET', '/docs/swagger-ui-init.js') },
  'GET /docs/docs/swagger-ui-init.js': { ...docs, request: (_c, _r, req) => req('GET', '/docs/docs/swagger-ui-init.js') },
  // Registered by swagger-ui, but the installed swagger-ui-dist ships no LICENSE file: 404 for everyone.
  'GET /docs/LICENSE': { ...docs, publicStatus: 404, request: (_c, _r, req) => req('GET', '/docs/LICENSE') },
  'GET /docs-json': { ...docs, request: (_c, _r, req) => req('GET', '/docs-json') },
  'GET /docs-yaml': { ...docs, request: (_c, _r, req) => req('GET', '/docs-yaml') },
  'POST /auth/login': { allow: 'public', request: (_c, _r, req) => req('POST', '/auth/login').send({ username: 'auditor-user', password: 'auditor-password-1' }) },
  'GET /auth/me': { allow: ['expert', 'operator', 'auditor', 'admin', 'service'], request: (_c, _r, req) => req('GET', '/auth/me') },
  'GET /metrics': { allow: ['admin', 'service'], request: (_c, _r, req) => req('GET', '/metrics') },

  'GET /users': { allow: ['admin'], request: (_c, _r, req) => req('GET', '/users') },
  'POST /users': {
    allow: ['admin'],
    request: (c, _r, req) => req('POST', '/users').send({ username: `user${c.n()}`, password: 'a-long-password', roles: ['expert'], reason: 'matrix' }),
  },
  'PUT /users/:username/roles': {
    allow: ['admin'],
    request: async (c, _r, req) => req('PUT', `/users/${await c.user()}/roles`).send({ roles: ['auditor'], reason: 'matrix' }),
  },
  'POST /users/:username/disable': {
    allow: ['admin'],
    request: async (c, _r, req) => req('POST', `/users/${await c.user()}/disable`).send({ reason: 'matrix' }),
  },

  'GET /images': { allow: ['operator', 'auditor', 'admin'], request: (_c, _r, req) => req('GET', '/images?origin=synthetic&generatorVersion=generator-1&limit=24') },
  'GET /images/generators': { allow: ['operator', 'auditor', 'admin'], request: (_c, _r, req) => req('GET', '/images/generators') },
  'GET /images/:imageId/file': {
    allow: ['expert', 'operator', 'auditor', 'admin'],
    request: async (c, caller, req) => {
      if (caller !== 'expert') return req('GET', `/images/${await c.image()}/file`);
      const taskId = await c.claimed(caller);
      const task = (await c.h.http.get('/tasks/mine').set(bearer(c.token(caller)!))).body.find((t: { taskId: string }) => t.taskId === taskId);
      return req('GET', `/images/${task.imageId}/file`);
    },
  },

  'POST /tasks': { allow: ['operator', 'admin'], request: async (c, _r, req) => req('POST', '/tasks').send({ imageId: await c.image(), reason: 'matrix' }) },
  'GET /tasks': { allow: ['operator', 'auditor', 'admin'], request: (_c, _r, req) => req('GET', '/tasks') },
  'GET /tasks/mine': { allow: ['expert'], request: (_c, _r, req) => req('GET', '/tasks/mine') },
  'POST /tasks/claim': {
    allow: ['expert'],
    request: async (c, _r, req) => {
      await c.task();
      return req('POST', '/tasks/claim').send({});
    },
  },
  'POST /tasks/:taskId/ratings': {
    allow: ['expert'],
    request: async (c, caller, req) => req('POST', `/tasks/${caller === 'expert' ? await c.claimed(caller) : randomUUID()}/ratings`).send(rating),
  },
  'GET /ratings/mine': { allow: ['expert'], request: (_c, _r, req) => req('GET', '/ratings/mine') },
  'POST /ratings/mine/last/retract': {
    allow: ['expert'],
    request: async (c, caller, req) => {
      if (caller === 'expert') {
        const taskId = await c.claimed(caller);
        await c.h.http.post(`/tasks/${taskId}/ratings`).set(bearer(c.token(caller)!)).send(rating).expect(201);
      }
      return req('POST', '/ratings/mine/last/retract').send({});
    },
  },

  'GET /audit/streams/:streamId': { allow: ['auditor', 'admin'], request: (_c, _r, req) => req('GET', '/audit/streams/user-root') },
  'GET /audit/events': { allow: ['auditor', 'admin'], request: (_c, _r, req) => req('GET', '/audit/events?limit=5') },
  'GET /audit/state': { allow: ['auditor', 'admin'], request: (_c, _r, req) => req('GET', '/audit/state?asOfPosition=3') },
  'GET /audit/verify': { allow: ['auditor', 'admin'], request: (_c, _r, req) => req('GET', '/audit/verify') },
  'GET /audit/export': { allow: ['auditor', 'admin'], request: (_c, _r, req) => req('GET', '/audit/export') },

  'POST /signatures': {
    allow: ['operator', 'auditor', 'admin'],
    request: (_c, caller, req) => req('POST', '/signatures').send({ stream: 'user-root', revision: 1, meaning: 'review', password: `${caller}-password-1` }),
  },
  'GET /queue/tasks/:taskId': { allow: ['expert'], request: async (c, caller, req) => req('GET', `/queue/tasks/${caller === 'expert' ? await c.claimed(caller) : randomUUID()}`) },
  'POST /queue/tasks/:taskId/release': {
    allow: ['expert'],
    request: async (c, caller, req) => req('POST', `/queue/tasks/${caller === 'expert' ? await c.claimed(caller) : randomUUID()}/release`).send({}),
  },
  'GET /models': { allow: ['operator', 'auditor', 'admin'], request: (_c, _r, req) => req('GET', '/models') },
  'GET /models/runs': { allow: ['operator', 'auditor', 'admin'], request: (_c, _r, req) => req('GET', '/models/runs') },
  'GET /models/loop': { allow: ['operator', 'admin'], request: (_c, _r, req) => req('GET', '/models/loop') },
  'POST /models/:model/versions/:version/promote': {
    allow: ['operator', 'admin'],
    request: async (c, caller, req) =>
      req('POST', `/models/selector/versions/${await evaluatedSelector(c.h.app.get(EVENT_STORE), `p${c.n()}`)}/promote`).send({ password: `${caller}-password-1`, reason: 'matrix' }),
  },
  'POST /models/:model/versions/:version/reject': {
    allow: ['operator', 'admin'],
    request: async (c, caller, req) =>
      req('POST', `/models/selector/versions/${await evaluatedSelector(c.h.app.get(EVENT_STORE), `r${c.n()}`)}/reject`).send({ password: `${caller}-password-1`, reason: 'matrix' }),
  },

  // bull-board (Redis-backed here): its page, its GET API and its PUT actions, all admin only.
  'POST /admin/queues/session': { allow: ['admin'], request: (_c, _r, req) => req('POST', '/admin/queues/session') },
  // Ending the board session only expires the caller's own cookie: signing out must work with an expired token too.
  'DELETE /admin/queues/session': { allow: 'public', request: (_c, _r, req) => req('DELETE', '/admin/queues/session') },
  'GET /admin/queues': { allow: ['admin'], request: (_c, _r, req) => req('GET', '/admin/queues') },
  'GET /admin/queues/*path': { allow: ['admin'], request: (_c, _r, req) => req('GET', '/admin/queues/api/queues') },
  'PUT /admin/queues/api/*path': { allow: ['admin'], request: (_c, _r, req) => req('PUT', '/admin/queues/api/queues/train-selector/resume') },

  'POST /imports/datasets/upload': {
    allow: ['operator', 'admin'],
    request: async (c, _r, req) => {
      const n = c.n();
      return req('POST', '/imports/datasets/upload')
        .field('reason', 'matrix')
        .attach('csv', Buffer.from(`path,text,modality\nm${n}.png,Matrix image ${n},fundus\n`), `m${n}.csv`)
        .attach('images', await fundusPng(n), `m${n}.png`);
    },
  },
  'POST /imports/datasets/server-path': {
    allow: ['operator', 'admin'],
    request: async (c, _r, req) => {
      const n = c.n();
      fs.writeFileSync(path.join(c.h.config.importRoot, `s${n}.png`), await fundusPng(n + 100));
      fs.writeFileSync(path.join(c.h.config.importRoot, `s${n}.csv`), `path,text,modality\ns${n}.png,Server image ${n},fundus\n`);
      return req('POST', '/imports/datasets/server-path').send({ path: `s${n}.csv`, reason: 'matrix' });
    },
  },
  'POST /imports/ratings/upload': {
    allow: ['operator', 'admin'],
    request: async (c, _r, req) => {
      const n = c.n();
      return req('POST', '/imports/ratings/upload')
        .field('reason', 'matrix')
        .attach('csv', Buffer.from(`image_path,rating,modality,expert_level,prompt\nr${n}.png,2,fundus,senior,Rated image ${n}\n`), `r${n}.csv`)
        .attach('images', await fundusPng(n + 7), `r${n}.png`);
    },
  },
  'POST /imports/ratings/server-path': {
    allow: ['operator', 'admin'],
    request: async (c, _r, req) => {
      const n = c.n();
      fs.writeFileSync(path.join(c.h.config.importRoot, `q${n}.png`), await fundusPng(n + 50));
      fs.writeFileSync(path.join(c.h.config.importRoot, `q${n}.csv`), `image_path,rating,modality,expert_level,prompt\nq${n}.png,3,fundus,junior,Rated ${n}\n`);
      return req('POST', '/imports/ratings/server-path').send({ path: `q${n}.csv`, reason: 'matrix' });
    },
  },
};

describe('RBAC matrix over HTTP', () => {
  let h: Harness;
  let ctx: Ctx;

  beforeAll(async () => {
    const redisUrl = process.env.FORGE_TEST_REDIS_URL;
    if (!redisUrl) throw new Error('FORGE_TEST_REDIS_URL is not set: start the services with `infra/services.sh up` and source the env file it prints');
    h = await startHarness('rbac', { FORGE_LOGIN_ATTEMPTS: '1000', REDIS_URL: redisUrl, FORGE_JOBS_PREFIX: `forge-rbac-${randomBytes(4).toString('hex')}` });
    let counter = 0;
    const token = (caller: Caller) => (caller === 'none' ? undefined : caller === 'service' ? h.serviceToken : h.tokens[caller]);
    const task = async () => {
      const [imageId] = await registerTestImages(h, 1);
      // Rising priority: the newest task is the next one claimed.
      const res = await h.http.post('/tasks').set(bearer(h.tokens.operator)).send({ imageId, priority: ++counter, reason: 'matrix fixture' }).expect(201);
      return res.body.taskId as string;
    };
    ctx = {
      h,
      token,
      n: () => ++counter,
      image: async () => (await registerTestImages(h, 1))[0],
      task,
      async claimed(caller) {
        const taskId = await task();
        const res = await h.http.post('/tasks/claim').set(bearer(token(caller)!)).send({}).expect(200);
        expect(res.body.taskId).toBe(taskId);
        return taskId;
      },
      async user() {
        const username = `target${++counter}`;
        await h.http.post('/users').set(bearer(h.tokens.admin)).send({ username, password: 'a-long-password', roles: ['expert'], reason: 'matrix fixture' }).expect(201);
        return username;
      },
    };
  });
  afterAll(() => h?.close());

  it('the table names every served route, and only those', () => {
    const served = registeredRoutes(h.app).map((r) => `${r.method} ${r.path}`).sort();
    expect(served).toEqual(Object.keys(MATRIX).sort());
  });

  const cases = Object.entries(MATRIX).flatMap(([route, entry]) => CALLERS.map((caller) => [route, caller, entry] as const));
  it.each(cases)('%s as %s', async (_route, caller, entry) => {
    const req = (method: string, url: string) => {
      const t = h.http[method.toLowerCase() as 'get'](url);
      const tok = ctx.token(caller);
      return tok ? t.set(bearer(tok)) : t;
    };
    const res = await entry.request(ctx, caller, req);
    const allowed = entry.allow === 'public' || entry.allow.includes(caller);
    const expected = entry.publicStatus ?? (allowed ? '2xx' : caller === 'none' ? 401 : 403);
    const got = res.status >= 200 && res.status < 300 ? '2xx' : res.status;
    expect({ status: got, body: got === expected ? undefined : res.body }).toEqual({ status: expected, body: undefined });
  });
});
