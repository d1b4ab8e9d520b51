// The whole system for portal tests: the real API (child process) on a fresh PostgreSQL database,
// the built portal under `next start` pointing at it, and Debian's Chromium driven by playwright-core.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@forge/event-store';
import { chromium, type Browser } from 'playwright-core';
import { buildPortal, PORTAL_DIR } from './portal-build';
import { freePort, start, waitForHttp, type Started } from './processes';

const ROOT = path.resolve(__dirname, '../../..');
export const ADMIN = { username: 'root', password: 'root-password-1' };
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export interface PortalStack {
  apiUrl: string;
  portalUrl: string;
  databaseUrl: string;
  /** The API's data folder (content-addressed images), for fixtures that store files as the API would. */
  dataDir: string;
  browser: Browser;
  build: { built: boolean; ms: number };
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Folder the API may import datasets from (server-path imports). */
  importRoot: string;
  label: string;
  /** More environment for the API (e.g. REDIS_URL for the job-queue board). */
  apiEnv?: Record<string, string>;
}

/** Starts the API; the process goes into `started` at once, so the caller stops it even when it never answers. */
export async function startApi(databaseUrl: string, importRoot: string, tmp: string, started: Started[], apiEnv: Record<string, string> = {}): Promise<{ url: string; proc: Started }> {
  const port = await freePort();
  const proc = start('forge api', process.execPath, [path.join(ROOT, 'apps/api/bin/forge-api.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      FORGE_DATA_DIR: path.join(tmp, 'data'),
      FORGE_IMPORT_ROOT: importRoot,
      FORGE_JWT_SECRET: randomBytes(24).toString('hex'),
      FORGE_ADMIN_USER: ADMIN.username,
      FORGE_ADMIN_PASSWORD: ADMIN.password,
      FORGE_SCRYPT_LOG_N: '14',
      FORGE_LOGIN_ATTEMPTS: '1000',
      FORGE_LOG_LEVEL: 'warn',
      ...apiEnv,
    },
  });
  started.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, proc, 90_000);
  return { url, proc };
}

export async function startPortalStack(options: StackOptions): Promise<PortalStack> {
  const started: Started[] = [];
  let db: TestDatabase | undefined;
  let browser: Browser | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `forge-${options.label}-`));
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    for (const p of started.reverse()) await p.stop();
    await db?.drop().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    db = await createTestDatabase(`forge_${options.label}`);
    // The build and the API start-up overlap: both take a while.
    const [api, build] = await Promise.all([startApi(db.url, options.importRoot, tmp, started, options.apiEnv), buildPortal()]);
    const port = await freePort();
    const next = require.resolve('next/dist/bin/next', { paths: [PORTAL_DIR] });
    const portal = start('next start', process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: PORTAL_DIR,
      env: { ...process.env, FORGE_API_URL: api.url, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    });
    started.push(portal);
    const portalUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${portalUrl}/login`, portal, 60_000);
    await waitForHttp(`${portalUrl}/api/health`, portal, 30_000);
    browser = await chromium.launch({ executablePath: process.env.FORGE_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    return { apiUrl: api.url, portalUrl, databaseUrl: db.url, dataDir: path.join(tmp, 'data'), browser, build, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
