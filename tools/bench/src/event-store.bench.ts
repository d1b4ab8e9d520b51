import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { NewEvent, openPgliteEventStore, openPostgresEventStore, SqlEventStore } from '@forge/event-store';
import { Benchmark, BenchRow, compared, median } from './harness';

// Appends (1 and 8 clients, single events), batched appends (10 and 100 events) and read-all, on
// PostgreSQL and PGlite. Baseline, on the same database in the same run: a plain INSERT (or SELECT)
// on an unindexed table, with no version check, lock, hash chain or idempotence: ratio = ours / plain.

const root = path.resolve(__dirname, '../../..');

/** DATABASE_URL, else FORGE_TEST_DATABASE_URL, else our own cluster started by infra/postgres.sh. */
function serverUrl(log: (l: string) => void): string {
  const given = process.env.DATABASE_URL ?? process.env.FORGE_TEST_DATABASE_URL;
  if (given) return given;
  log('no DATABASE_URL / FORGE_TEST_DATABASE_URL: starting PostgreSQL with infra/postgres.sh');
  execFileSync(path.join(root, 'infra/postgres.sh'), ['start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = fs.readFileSync(path.join(root, '.cache/services/postgres.env'), 'utf8');
  const m = /^FORGE_TEST_DATABASE_URL=(.+)$/m.exec(env);
  if (!m) throw new Error('infra/postgres.sh did not write FORGE_TEST_DATABASE_URL');
  return m[1].trim();
}

async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const PLAIN_TABLE = `CREATE TABLE IF NOT EXISTS bench_plain (stream_id text, type text, data jsonb, metadata jsonb)`;
const PLAIN_INSERT = `INSERT INTO bench_plain (stream_id, type, data, metadata)
  SELECT $1, e->>'type', e->'data', e->'metadata' FROM jsonb_array_elements($2::jsonb) AS e`;

function events(n: number, i0: number): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    type: 'RatingSubmitted',
    data: { taskId: `task-${i0 + i}`, imageId: `img-${(i0 + i) % 997}`, quality: 1 + ((i0 + i) % 3), alignment: 2, flags: ['ok'], comment: 'sharp, well centred' },
    metadata: { actor: { kind: 'expert', id: 'e-1' }, reason: 'bench' },
  }));
}

/** Operations per second: `clients` loops of `perClient` operations of `size` events each, median of runs. */
type Op = (run: number, client: number, i: number, batch: NewEvent[]) => Promise<unknown>;

async function rate(runs: number, clients: number, perClient: number, size: number, op: Op): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const batches = Array.from({ length: clients }, (_, c) => Array.from({ length: perClient }, (_, i) => events(size, (c * perClient + i) * size)));
    const t0 = performance.now();
    await Promise.all(batches.map(async (mine, c) => {
      for (let i = 0; i < mine.length; i++) await op(r, c, i, mine[i]);
    }));
    rates.push((clients * perClient * size) / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

async function measure(label: string, store: SqlEventStore, runs: number, quick: boolean, log: (l: string) => void): Promise<BenchRow[]> {
  await store.exec(PLAIN_TABLE);
  const plain = (stream: string, batch: NewEvent[]) => store.query(PLAIN_INSERT, [stream, JSON.stringify(batch)]);
  const rows: BenchRow[] = [];
  const tag = randomBytes(3).toString('hex');
  // Each client appends to its own stream with the exact expected version, as a command handler would.
  const ours = (kind: string): Op => (r, c, i, batch) => store.append(`bench-${tag}-${kind}-${r}-${c}`, batch, i * batch.length);
  const baseline: Op = (_r, c, _i, batch) => plain(`plain-${c}`, batch);

  const n1 = quick ? 100 : 400;
  for (const clients of [1, 8]) {
    const per = Math.ceil(n1 / Math.sqrt(clients));
    log(`${label}: single-event appends, ${clients} client(s) × ${per}`);
    const base = await rate(runs, clients, per, 1, baseline);
    const value = await rate(runs, clients, per, 1, ours(`single${clients}`));
    rows.push(compared(`${label} single-event appends, ${clients} client${clients > 1 ? 's' : ''}`, value, 'appends/s', base));
  }
  for (const size of [10, 100]) {
    const per = quick ? Math.ceil(500 / size) : Math.ceil(3000 / size);
    log(`${label}: ${size}-event batches × ${per}`);
    const base = await rate(runs, 1, per, size, baseline);
    const value = await rate(runs, 1, per, size, ours(`batch${size}`));
    rows.push(compared(`${label} ${size}-event batches`, value, 'events/s', base));
  }

  const total = Number((await store.query<{ n: string | number }>('SELECT count(*) AS n FROM events')).rows[0].n);
  const plainTotal = Number((await store.query<{ n: string | number }>('SELECT count(*) AS n FROM bench_plain')).rows[0].n);
  log(`${label}: read all ${total} events in order (pages of 5000)`);
  const readRates: number[] = [];
  const plainRates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    let n = 0;
    for await (const page of store.readAllPages({ pageSize: 5000 })) n += page.length;
    readRates.push(n / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    const p = await store.query('SELECT stream_id, type, data, metadata FROM bench_plain');
    plainRates.push(p.rows.length / ((performance.now() - t0) / 1000));
  }
  rows.push(compared(`${label} read all (${total} events; plain: ${plainTotal} rows)`, median(readRates), 'events/s', median(plainRates)));

  log(`${label}: verify ${total} events`);
  const t0 = performance.now();
  const report = await store.verify();
  if (!report.ok) throw new Error(`${label}: verify failed after the benchmark: ${JSON.stringify(report.firstProblem)}`);
  rows.push({ name: `${label} verify (recompute every chain)`, value: report.events / ((performance.now() - t0) / 1000), unit: 'events/s' });
  return rows;
}

export const benchmark: Benchmark = {
  name: 'event-store',
  description: 'appends (1 and 8 clients), 10/100-event batches and read-all on PostgreSQL and PGlite, against a plain INSERT/SELECT',
  async run({ runs, quick, log }) {
    const rows: BenchRow[] = [];

    const server = serverUrl(log);
    const dbName = `forge_bench_${randomBytes(4).toString('hex')}`;
    await withAdmin(server, (c) => c.query(`CREATE DATABASE ${dbName}`));
    try {
      const u = new URL(server);
      u.pathname = `/${dbName}`;
      const pg = await openPostgresEventStore(u.toString(), { max: 10 });
      try {
        rows.push(...(await measure('PostgreSQL', pg, runs, quick, log)));
      } finally {
        await pg.close();
      }
    } finally {
      await withAdmin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    }

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bench-es-'));
    try {
      const lite = await openPgliteEventStore(dir);
      try {
        rows.push(...(await measure('PGlite', lite, runs, quick, log)));
      } finally {
        await lite.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
