import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { CURRENT_SCHEMA_VERSION, labelTaskDecider, streams, type CommandMetadata, type LabelTaskCommand } from '@forge/domain';
import { openPostgresEventStore, type JsonObject, type SqlEventStore } from '@forge/event-store';
import { ADMIN, ApiClient, startPortalStack, type PortalStack } from '@forge/system-harness';
import { Benchmark, BenchRow, compared, median } from './harness';

// Rating submission through the HTTP API under a fixed load (autocannon, 500 requests/s), against a
// local API on PostgreSQL: p50 and p99 latency. Baseline, same server, same rate, same run:
// GET /health (routing, guard and logging, no store). Ratio = rating / health.
// In the browser (the built portal in Chromium): time from Enter to the next image on screen
// (the next task is preloaded), against a plain navigation to a static page of the same portal.

const RATE = 500;
/** A light load beside it: latency without queueing, i.e. the service time on this machine. */
const LIGHT = 50;
const SAMPLES = path.resolve(__dirname, '../../../samples/phantom-mini');
const EXPERT = { username: 'bench.expert', password: 'bench-password-1' };
const RATER = { username: 'bench.rater', password: 'bench-password-2' };
const OPERATOR = { username: 'bench.operator', password: 'bench-password-3' };

interface Load {
  /** Requests per second actually completed (below RATE when the server cannot keep up). */
  rate: number;
  p50: number;
  p99: number;
  sent: number;
  errors: number;
}

function run(url: string, seconds: number, token: string, nextPath?: () => string, rate = RATE): Promise<Load> {
  const body = JSON.stringify({ quality: 2, alignment: 3, msSpent: 1200 });
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        duration: seconds,
        // Enough connections that the offered rate stays near RATE even when answers take 100+ ms.
        connections: 100,
        overallRate: rate,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        requests: nextPath ? [{ method: 'POST', body, setupRequest: (req: Record<string, unknown>) => ({ ...req, path: nextPath() }) }] : [{ method: 'GET', path: '/health' }],
      } as autocannon.Options,
      (err, result) => {
        if (err) return reject(err);
        resolve({ rate: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99, sent: result.requests.total, errors: result.non2xx + result.errors + result.timeouts });
      },
    );
  });
}

/** Tasks created and claimed by the bench expert straight through the domain decider (seeding is not what is measured). */
async function claimedTasks(store: SqlEventStore, imageIds: string[], count: number): Promise<string[]> {
  const ids: string[] = [];
  const metadata = (): CommandMetadata => ({ actor: { kind: 'system', id: 'bench' }, reason: 'bench fixture', correlationId: randomUUID(), occurredAt: new Date().toISOString() });
  const leaseUntil = new Date(Date.now() + 3600_000).toISOString();
  const one = async (i: number) => {
    const taskId = randomUUID();
    const create: LabelTaskCommand = { type: 'CreateLabelTask', data: { taskId, imageId: imageIds[i % imageIds.length], reason: 'random', priority: 0, ratersWanted: 1 }, metadata: metadata() };
    let state = labelTaskDecider.initialState();
    const events = [];
    for (const command of [create, { type: 'AssignLabelTask', data: { taskId, expertId: EXPERT.username, leaseUntil }, metadata: metadata() } as LabelTaskCommand]) {
      const made = labelTaskDecider.decide(command, state);
      for (const e of made) state = labelTaskDecider.evolve(state, e);
      events.push(...made);
    }
    await store.append(
      streams.task(taskId),
      events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as JsonObject, metadata: { ...(e.metadata ?? {}), schemaVersion: CURRENT_SCHEMA_VERSION } as JsonObject })),
      'no_stream',
    );
    ids.push(taskId);
  };
  for (let i = 0; i < count; i += 16) await Promise.all(Array.from({ length: Math.min(16, count - i) }, (_, k) => one(i + k)));
  return ids;
}

/**
 * Signs the rater in, then for each rating: digits by keyboard, Enter dispatched inside the page
 * with a timestamp, and the time until the next image element is in the DOM, decoded and a frame
 * has been painted. The expert's pause between images is simulated by waiting until the queue is idle.
 * Baseline: a plain navigation to the static sign-in page (Navigation Timing, load event end).
 */
async function enterToNextImage(stack: PortalStack, ratings: number): Promise<{ enterMs: number; navigationMs: number }> {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`${stack.portalUrl}/login`);
    await page.locator('#username').fill(RATER.username);
    await page.locator('#password').fill(RATER.password);
    await page.locator('#password').press('Enter');
    await page.waitForURL(`${stack.portalUrl}/queue`);
    const times: number[] = [];
    for (let i = 0; i < ratings; i++) {
      await page.waitForFunction(() => {
        const q = document.querySelector('[data-testid="task-image"]') as HTMLImageElement | null;
        return !!q && q.complete && document.querySelector('[data-testid="ahead"]')?.getAttribute('data-count') !== '0';
      });
      await page.evaluate(() => (window as unknown as { forgeQueueIdle(): Promise<unknown> }).forgeQueueIdle());
      await page.keyboard.press('2');
      await page.keyboard.press('3');
      times.push(
        await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const before = (document.querySelector('[data-testid="task-image"]') as HTMLElement).dataset.taskId;
              const t0 = performance.now();
              const check = () => {
                const img = document.querySelector('[data-testid="task-image"]') as HTMLImageElement | null;
                if (!img || img.dataset.taskId === before) return false;
                observer.disconnect();
                void img
                  .decode()
                  .catch(() => undefined)
                  .then(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
                return true;
              };
              const observer = new MutationObserver(check);
              observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-task-id', 'src'] });
              window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
            }),
        ),
      );
    }
    const navigations: number[] = [];
    const plain = await context.newPage();
    for (let i = 0; i < ratings; i++) {
      await plain.goto(`${stack.portalUrl}/login`, { waitUntil: 'load' });
      navigations.push(await plain.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd));
    }
    return { enterMs: median(times), navigationMs: median(navigations) };
  } finally {
    await context.close();
  }
}

export const benchmark: Benchmark = {
  name: 'api',
  description: `rating submission through the API at ${RATE} requests/s on PostgreSQL (p50/p99) vs GET /health at the same rate`,
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    if (!process.env.FORGE_TEST_DATABASE_URL) throw Object.assign(new Error('FORGE_TEST_DATABASE_URL is not set: run `infra/services.sh up postgres` and source the env file it prints'), { code: 'INVALID_CONFIG' });
    const seconds = quick ? 2 : 4;
    const rounds = Math.max(1, Math.min(runs, quick ? 1 : 3));
    const ratings = quick ? 8 : 20;
    let stack: PortalStack | undefined;
    let store: SqlEventStore | undefined;
    try {
      log('starting the API on a fresh PostgreSQL database and the built portal (next build when sources changed)');
      stack = await startPortalStack({ importRoot: SAMPLES, label: 'bench_api' });
      const admin = await ApiClient.login(stack.apiUrl, ADMIN.username, ADMIN.password);
      for (const [who, roles] of [[EXPERT, ['expert']], [RATER, ['expert']], [OPERATOR, ['operator']]] as const) await admin.createUser(who.username, who.password, [...roles]);
      const operator = await ApiClient.login(stack.apiUrl, OPERATOR.username, OPERATOR.password);
      await operator.call('POST', '/imports/datasets/server-path', { path: 'phantoms.csv', reason: 'bench fixture' });
      const imageIds = (await operator.call<{ items: { imageId: string }[] }>('GET', '/images?limit=100')).items.map((i) => i.imageId);

      log(`browser: ${ratings} ratings by keyboard, Enter → next image shown`);
      for (let i = 0; i < ratings + 3; i++) await operator.call('POST', '/tasks', { imageId: imageIds[i % imageIds.length], priority: 100, reason: 'bench fixture' });
      const browser = await enterToNextImage(stack, ratings);

      store = (await openPostgresEventStore(stack.databaseUrl, { max: 4 })) as SqlEventStore;
      const perRound = Math.ceil(RATE * seconds * 1.3);
      log(`seeding ${perRound * rounds} claimed tasks for the load test`);
      const tasks = await claimedTasks(store, imageIds, perRound * rounds + Math.ceil(LIGHT * seconds * 1.3));
      const expert = await ApiClient.login(stack.apiUrl, EXPERT.username, EXPERT.password);
      let next = 0;
      const nextPath = () => `/tasks/${tasks[next++ % tasks.length]}/ratings`;
      // Warm-up: JIT, connection pool, the API's read model.
      await run(stack.apiUrl, 1, expert.bearer);
      const health: Load[] = [];
      const rating: Load[] = [];
      for (let r = 0; r < rounds; r++) {
        health.push(await run(stack.apiUrl, seconds, expert.bearer));
        rating.push(await run(stack.apiUrl, seconds, expert.bearer, nextPath));
        log(`round ${r + 1}/${rounds}: health p50 ${health[r].p50} ms p99 ${health[r].p99} ms; rating p50 ${rating[r].p50} ms p99 ${rating[r].p99} ms (${rating[r].sent} sent, ${rating[r].errors} errors)`);
      }
      const lightHealth = await run(stack.apiUrl, seconds, expert.bearer, undefined, LIGHT);
      const lightRating = await run(stack.apiUrl, seconds, expert.bearer, nextPath, LIGHT);
      log(`light load ${LIGHT}/s: health p50 ${lightHealth.p50} ms p99 ${lightHealth.p99} ms; rating p50 ${lightRating.p50} ms p99 ${lightRating.p99} ms`);
      const errors = lightRating.errors + rating.reduce((n, l) => n + l.errors, 0);
      if (errors > 0) log(`warning: ${errors} rating requests did not answer 2xx`);
      const m = (loads: Load[], k: 'p50' | 'p99' | 'rate') => median(loads.map((l) => l[k]));
      return [
        compared(`POST rating p50 @${RATE}/s`, m(rating, 'p50'), 'ms', m(health, 'p50')),
        compared(`POST rating p99 @${RATE}/s`, m(rating, 'p99'), 'ms', m(health, 'p99')),
        compared(`POST rating p50 @${LIGHT}/s`, lightRating.p50, 'ms', lightHealth.p50),
        compared(`POST rating p99 @${LIGHT}/s`, lightRating.p99, 'ms', lightHealth.p99),
        compared(`rating throughput (offered ${RATE}/s)`, m(rating, 'rate'), 'req/s', m(health, 'rate')),
        compared('rating requests answered 2xx', rating.reduce((n, l) => n + l.sent - l.errors, 0), 'requests', rating.reduce((n, l) => n + l.sent, 0)),
        compared(`Enter → next image shown (median of ${ratings})`, browser.enterMs, 'ms', browser.navigationMs),
      ];
    } finally {
      await store?.close();
      await stack?.stop();
    }
  },
};
