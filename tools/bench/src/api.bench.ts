import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { CURRENT_SCHEMA_VERSION, labelTaskDecider, streams, type CommandMetadata, type LabelTaskCommand } from '@forge/domain';
import { createTestDatabase, openPostgresEventStore, type JsonObject, type SqlEventStore } from '@forge/event-store';
import { ADMIN, ApiClient, startApi, type Started } from '@forge/system-harness';
import { Benchmark, BenchRow, compared, median } from './harness';

// Rating submission through the HTTP API under a fixed load (autocannon, 500 requests/s), against a
// local API on PostgreSQL: p50 and p99 latency. Baseline, same server, same rate, same run:
// GET /health (routing, guard and logging, no store). Ratio = rating / health.

const RATE = 500;
const SAMPLES = path.resolve(__dirname, '../../../samples/phantom-mini');
const EXPERT = { username: 'bench.expert', password: 'bench-password-1' };

interface Load {
  p50: number;
  p99: number;
  sent: number;
  errors: number;
}

function run(url: string, seconds: number, token: string, nextPath?: () => string): Promise<Load> {
  const body = JSON.stringify({ quality: 2, alignment: 3, msSpent: 1200 });
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        duration: seconds,
        connections: 25,
        overallRate: RATE,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        requests: nextPath ? [{ method: 'POST', body, setupRequest: (req: Record<string, unknown>) => ({ ...req, path: nextPath() }) }] : [{ method: 'GET', path: '/health' }],
      } as autocannon.Options,
      (err, result) => {
        if (err) return reject(err);
        resolve({ p50: result.latency.p50, p99: result.latency.p99, sent: result.requests.total, errors: result.non2xx + result.errors + result.timeouts });
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

export const benchmark: Benchmark = {
  name: 'api',
  description: `rating submission through the API at ${RATE} requests/s on PostgreSQL (p50/p99) vs GET /health at the same rate`,
  async run({ runs, quick, log }): Promise<BenchRow[]> {
    if (!process.env.FORGE_TEST_DATABASE_URL) throw Object.assign(new Error('FORGE_TEST_DATABASE_URL is not set: run `infra/services.sh up postgres` and source the env file it prints'), { code: 'INVALID_CONFIG' });
    const seconds = quick ? 2 : 4;
    const rounds = Math.max(1, Math.min(runs, quick ? 1 : 3));
    const db = await createTestDatabase('forge_bench_api');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-api-'));
    const started: Started[] = [];
    let store: SqlEventStore | undefined;
    try {
      log('starting the API on a fresh PostgreSQL database');
      const api = await startApi(db.url, SAMPLES, tmp, started);
      const admin = await ApiClient.login(api.url, ADMIN.username, ADMIN.password);
      await admin.createUser(EXPERT.username, EXPERT.password, ['expert']);
      await admin.call('POST', '/imports/datasets/server-path', { path: 'phantoms.csv', reason: 'bench fixture' });
      const images = await admin.call<{ items: { imageId: string }[] }>('GET', '/images?limit=100');
      const expert = await ApiClient.login(api.url, EXPERT.username, EXPERT.password);
      store = (await openPostgresEventStore(db.url, { max: 4 })) as SqlEventStore;
      const perRound = Math.ceil(RATE * seconds * 1.3);
      log(`seeding ${perRound * rounds} claimed tasks`);
      const tasks = await claimedTasks(store, images.items.map((i) => i.imageId), perRound * rounds);
      let next = 0;
      const nextPath = () => `/tasks/${tasks[next++ % tasks.length]}/ratings`;
      // Warm-up: JIT, connection pool, the API's read model.
      await run(api.url, 1, expert.bearer);
      const health: Load[] = [];
      const rating: Load[] = [];
      for (let r = 0; r < rounds; r++) {
        health.push(await run(api.url, seconds, expert.bearer));
        rating.push(await run(api.url, seconds, expert.bearer, nextPath));
        log(`round ${r + 1}/${rounds}: health p50 ${health[r].p50} ms p99 ${health[r].p99} ms; rating p50 ${rating[r].p50} ms p99 ${rating[r].p99} ms (${rating[r].sent} sent, ${rating[r].errors} errors)`);
      }
      const errors = rating.reduce((n, l) => n + l.errors, 0);
      if (errors > 0) log(`warning: ${errors} rating requests did not answer 2xx`);
      const m = (loads: Load[], k: 'p50' | 'p99') => median(loads.map((l) => l[k]));
      return [
        compared(`POST rating p50 @${RATE}/s`, m(rating, 'p50'), 'ms', m(health, 'p50')),
        compared(`POST rating p99 @${RATE}/s`, m(rating, 'p99'), 'ms', m(health, 'p99')),
        compared('rating requests answered 2xx', rating.reduce((n, l) => n + l.sent - l.errors, 0), 'requests', rating.reduce((n, l) => n + l.sent, 0)),
      ];
    } finally {
      await store?.close();
      for (const p of started.reverse()) await p.stop();
      await db.drop().catch(() => undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
