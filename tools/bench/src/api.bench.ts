import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { CURRENT_SCHEMA_VERSION, labelTaskDecider, streams, type CommandMetadata, type LabelTaskCommand } from '@forge/domain';
import { openPostgresEventStore, type JsonObject, type SqlEventStore } from '@forge/event-store';
import { ADMIN, ApiClient, freePort, start, startPortalStack, waitForHttp, type PortalStack, type Started } from '@forge/system-harness';
import { apiProcessRun, parseApiProcessSample, type ApiProcessRun } from './api-process-metrics';
import { constantRate, keepAliveAgent, type RateLoad, type RateRequest } from './constant-rate';
import { Benchmark, BenchRow, compared, median } from './harness';

// Rating submission through the HTTP API at a steady 500 requests/s (open loop: request i leaves at
// i × 2 ms, its latency counts from then), against the API on a fresh PostgreSQL database: p50 and p99.
// Baselines, same rate, same run, rounds interleaved so background load hits all alike:
// - GET /health on the same server (routing, middleware, one SELECT; no auth, no write);
// - a plain node:http server storing the same body with one INSERT (plain-insert-server.ts): the floor
//   for "an HTTP request that commits a row", without framework, auth, stream read or hash chain.
// In the browser (the built portal in Chromium): time from Enter to the next image on screen
// (the next task is preloaded), against a plain navigation to a static page of the same portal.
// Around each run at RATE against the API, its /metrics say what the API process itself spent (CPU per
// request, GC pauses, event-loop delay), and the client reports its own event-loop delay: a tail that
// neither explains is waiting (database, cores taken by other processes; see the load average).

const RATE = 500;
/** A light load beside it: latency without queueing, i.e. the service time on this machine. */
const LIGHT = 50;
const ROOT = path.resolve(__dirname, '../../..');
const SAMPLES = path.join(ROOT, 'samples/phantom-mini');
const EXPERT = { username: 'bench.expert', password: 'bench-password-1' };
const RATER = { username: 'bench.rater', password: 'bench-password-2' };
const OPERATOR = { username: 'bench.operator', password: 'bench-password-3' };
const BODY = JSON.stringify({ quality: 2, alignment: 3, msSpent: 1200 });

/** The plain INSERT server as a child process on the bench database. */
async function startPlainInsertServer(databaseUrl: string): Promise<{ url: string; proc: Started }> {
  const port = await freePort();
  const proc = start('plain insert server', process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'plain-insert-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json') },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(url, proc, 30_000, 404);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, proc };
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

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
  description: `rating submission through the API at a steady ${RATE} requests/s on PostgreSQL (p50/p99) vs GET /health and a plain INSERT server at the same rate`,
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    if (!process.env.FORGE_TEST_DATABASE_URL) throw Object.assign(new Error('FORGE_TEST_DATABASE_URL is not set: run `infra/services.sh up postgres` and source the env file it prints'), { code: 'INVALID_CONFIG' });
    const seconds = quick ? 2 : 4;
    const rounds = Math.max(1, Math.min(runs, quick ? 1 : 3));
    const ratings = quick ? 8 : 20;
    let stack: PortalStack | undefined;
    let store: SqlEventStore | undefined;
    let plain: { url: string; proc: Started } | undefined;
    const agentsToClose: Agent[] = [];
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
      // Every rating goes to its own claimed task: warm-up, then per round one run at RATE and one at LIGHT, each with its second of warm-up.
      const needed = Math.ceil((RATE * (2 + rounds * (seconds + 1)) + LIGHT * rounds * (seconds + 1)) * 1.05);
      log(`seeding ${needed} claimed tasks for the load test`);
      const tasks = await claimedTasks(store, imageIds, needed);
      plain = await startPlainInsertServer(stack.databaseUrl);
      const expert = await ApiClient.login(stack.apiUrl, EXPERT.username, EXPERT.password);
      let next = 0;
      const nextTask = (): string => {
        if (next >= tasks.length) throw new Error(`the load used more than the ${tasks.length} seeded tasks`);
        return tasks[next++];
      };
      const headers = { authorization: `Bearer ${expert.bearer}`, 'content-type': 'application/json' };
      const targets: Record<'health' | 'plain' | 'rating', { url: string; next: () => RateRequest }> = {
        health: { url: stack.apiUrl, next: () => ({ method: 'GET', path: '/health' }) },
        plain: { url: plain.url, next: () => ({ method: 'POST', path: `/tasks/${randomUUID()}/ratings`, body: BODY }) },
        rating: { url: stack.apiUrl, next: () => ({ method: 'POST', path: `/tasks/${nextTask()}/ratings`, body: BODY }) },
      };
      // One keep-alive pool per target for the whole run, like the portal's server in front of the API.
      const agents = { health: keepAliveAgent(), plain: keepAliveAgent(), rating: keepAliveAgent() };
      agentsToClose.push(...Object.values(agents));
      // Each measured run follows 1 s of the same load, unrecorded: the steady state at that rate, not the ramp into it.
      const load = (target: keyof typeof targets, rate: number, secs = seconds) =>
        constantRate({ url: targets[target].url, rate, seconds: secs, warmupSeconds: 1, headers, next: targets[target].next, agent: agents[target] });
      const apiSample = async () => parseApiProcessSample(await admin.call<string>('GET', '/metrics'));
      const apiProcess: Record<'health' | 'rating', ApiProcessRun[]> = { health: [], rating: [] };
      /** A run at RATE against the API, with what the API process spent on it (the 1 s warm-up included). */
      const measuredLoad = async (target: 'health' | 'rating') => {
        const before = await apiSample();
        const result = await load(target, RATE);
        apiProcess[target].push(apiProcessRun(before, await apiSample(), Math.round(RATE * (seconds + 1)), seconds + 1));
        return result;
      };

      // Warm-up: JIT, connection pools (the client's too), the API's read model.
      for (const target of ['health', 'plain', 'rating'] as const) await load(target, RATE, 1);
      log(`load average before: ${loadAverage()} (${os.cpus().length} cores)`);
      const heavy: Record<keyof typeof targets, RateLoad[]> = { health: [], plain: [], rating: [] };
      const light: Record<keyof typeof targets, RateLoad[]> = { health: [], plain: [], rating: [] };
      for (let r = 0; r < rounds; r++) {
        for (const target of ['health', 'plain', 'rating'] as const) heavy[target].push(target === 'plain' ? await load(target, RATE) : await measuredLoad(target));
        for (const target of ['health', 'plain', 'rating'] as const) light[target].push(await load(target, LIGHT));
        const line = (l: Record<keyof typeof targets, RateLoad[]>, t: keyof typeof targets) => `${t} ${l[t][r].p50.toFixed(1)}/${l[t][r].p99.toFixed(1)}`;
        log(`round ${r + 1}/${rounds} p50/p99 ms @${RATE}/s: ${(['health', 'plain', 'rating'] as const).map((t) => line(heavy, t)).join(', ')}; @${LIGHT}/s: ${(['health', 'plain', 'rating'] as const).map((t) => line(light, t)).join(', ')}; rating statuses ${JSON.stringify(heavy.rating[r].statuses)}; load generator late by ≤ ${Math.max(...(['health', 'plain', 'rating'] as const).map((t) => heavy[t][r].sendLagP99)).toFixed(1)} ms (p99), its event-loop delay p99/max ${heavy.rating[r].loopDelayP99.toFixed(1)}/${heavy.rating[r].loopDelayMax.toFixed(1)} ms during the ratings; load average ${loadAverage()}`);
        const proc = (t: 'health' | 'rating') => {
          const p = apiProcess[t][r];
          return `${t} ${p.cpuMsPerRequest.toFixed(2)} ms CPU/request, GC ${p.gcPauses} pauses ${p.gcMsPerSecond.toFixed(1)} ms/s (${p.gcOver10ms} over 10 ms), event-loop delay p99/max ${p.loopDelayP99Ms.toFixed(1)}/${p.loopDelayMaxMs.toFixed(1)} ms`;
        };
        log(`round ${r + 1}/${rounds} API process @${RATE}/s: ${proc('rating')}; ${proc('health')}`);
      }
      const errors = [...heavy.rating, ...light.rating].reduce((n, l) => n + l.errors, 0);
      if (errors > 0) log(`warning: ${errors} rating requests did not answer 2xx`);
      const m = (loads: RateLoad[], k: 'p50' | 'p99' | 'rate' | 'loopDelayP99') => median(loads.map((l) => l[k]));
      const p = (t: 'health' | 'rating', k: 'cpuMsPerRequest' | 'gcMsPerSecond' | 'loopDelayP99Ms') => median(apiProcess[t].map((x) => x[k]));
      return [
        compared(`POST rating p50 @${RATE}/s vs GET /health`, m(heavy.rating, 'p50'), 'ms', m(heavy.health, 'p50')),
        compared(`POST rating p99 @${RATE}/s vs GET /health`, m(heavy.rating, 'p99'), 'ms', m(heavy.health, 'p99')),
        compared(`POST rating p50 @${RATE}/s vs plain INSERT server`, m(heavy.rating, 'p50'), 'ms', m(heavy.plain, 'p50')),
        compared(`POST rating p99 @${RATE}/s vs plain INSERT server`, m(heavy.rating, 'p99'), 'ms', m(heavy.plain, 'p99')),
        compared(`POST rating p50 @${LIGHT}/s vs GET /health`, m(light.rating, 'p50'), 'ms', m(light.health, 'p50')),
        compared(`POST rating p99 @${LIGHT}/s vs GET /health`, m(light.rating, 'p99'), 'ms', m(light.health, 'p99')),
        compared(`POST rating p50 @${LIGHT}/s vs plain INSERT server`, m(light.rating, 'p50'), 'ms', m(light.plain, 'p50')),
        compared(`rating throughput (offered ${RATE}/s) vs GET /health`, m(heavy.rating, 'rate'), 'req/s', m(heavy.health, 'rate')),
        compared(`API process CPU per request @${RATE}/s: rating vs GET /health`, p('rating', 'cpuMsPerRequest'), 'ms', p('health', 'cpuMsPerRequest')),
        compared(`API process GC pause time @${RATE}/s: rating vs GET /health`, p('rating', 'gcMsPerSecond'), 'ms/s', p('health', 'gcMsPerSecond')),
        compared(`API process event-loop delay p99 @${RATE}/s: rating vs GET /health`, p('rating', 'loopDelayP99Ms'), 'ms', p('health', 'loopDelayP99Ms')),
        compared(`load generator event-loop delay p99 @${RATE}/s: rating vs GET /health runs`, m(heavy.rating, 'loopDelayP99'), 'ms', m(heavy.health, 'loopDelayP99')),
        compared('rating requests answered 2xx', [...heavy.rating, ...light.rating].reduce((n, l) => n + l.sent - l.errors, 0), 'requests', [...heavy.rating, ...light.rating].reduce((n, l) => n + l.sent, 0)),
        compared(`Enter → next image shown (median of ${ratings})`, browser.enterMs, 'ms', browser.navigationMs),
      ];
    } finally {
      for (const agent of agentsToClose) agent.destroy();
      await plain?.proc.stop();
      await store?.close();
      await stack?.stop();
    }
  },
};
