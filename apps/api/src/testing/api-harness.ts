// Test support for the API's integration tests: a fresh PostgreSQL database per test file,
// an app on it, and one logged-in user per role.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../app';
import { loadApiConfig, type ApiConfig } from '../config/api-config';

export const ROLE_NAMES = ['expert', 'operator', 'auditor', 'admin'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Harness {
  app: NestExpressApplication;
  http: ReturnType<typeof request>;
  config: ApiConfig;
  /** Bearer token per role; `expert2` is a second expert. */
  tokens: Record<RoleName | 'expert2', string>;
  serviceToken: string;
  databaseUrl: string;
  tmp: string;
  close(): Promise<void>;
}

export async function freshDatabase(label: string): Promise<string> {
  const base = process.env.FORGE_TEST_DATABASE_URL;
  if (!base) throw new Error('FORGE_TEST_DATABASE_URL is not set: start PostgreSQL with `infra/services.sh up` and source the env file it prints');
  const name = `forge_api_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startHarness(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const databaseUrl = await freshDatabase(label);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `forge-api-${label}-`));
  const serviceToken = randomBytes(24).toString('hex');
  fs.mkdirSync(path.join(tmp, 'import-root'));
  const config = loadApiConfig({
    DATABASE_URL: databaseUrl,
    FORGE_DATA_DIR: path.join(tmp, 'data'),
    FORGE_IMPORT_ROOT: path.join(tmp, 'import-root'),
    FORGE_JWT_SECRET: randomBytes(24).toString('hex'),
    FORGE_ADMIN_USER: 'root',
    FORGE_ADMIN_PASSWORD: 'root-password-1',
    FORGE_SERVICE_TOKENS: `worker=${serviceToken}`,
    FORGE_SCRYPT_LOG_N: '14',
    FORGE_LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await createApp(config);
  const http = request(app.getHttpServer());
  const rootToken = await login(http, 'root', 'root-password-1');
  const tokens = {} as Harness['tokens'];
  for (const role of [...ROLE_NAMES, 'expert2'] as const) {
    const roles = [role === 'expert2' ? 'expert' : role];
    await http.post('/users').set('Authorization', `Bearer ${rootToken}`).send({ username: `${role}-user`, password: `${role}-password-1`, roles, reason: 'test fixture' }).expect(201);
    tokens[role] = await login(http, `${role}-user`, `${role}-password-1`);
  }
  return {
    app,
    http,
    config,
    tokens,
    serviceToken,
    databaseUrl,
    tmp,
    async close() {
      await app.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function login(http: ReturnType<typeof request>, username: string, password: string): Promise<string> {
  const res = await http.post('/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Every stored event, counted in the database itself: readers of the global log may lag behind
 * commits on a busy cluster, and "nothing was appended" must not depend on that.
 */
export async function storedEventCount(h: Harness): Promise<number> {
  const client = new Client({ connectionString: h.databaseUrl });
  await client.connect();
  try {
    return Number((await client.query('SELECT count(*) AS n FROM events')).rows[0].n);
  } finally {
    await client.end();
  }
}

/** Waits until the global log (as audit readers see it) has reached this position. */
export async function untilVisible(h: Harness, position: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await h.http.get('/audit/events?limit=1000').set(bearer(h.tokens.admin));
    if (res.body.events?.some((e: { position: number }) => e.position === position)) return;
    if (Date.now() > deadline) throw new Error(`position ${position} not visible in the global log after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
