import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Client } from 'pg';
import { eventHash, GENESIS_HASH } from '../hash';
import { ev, eventStoreContract } from '../event-store.contract';
import type { RecordedEvent } from '../port';
import { createTestDatabase, TestDatabase } from '../testing';
import { openPostgresEventStore, PostgresEventStore } from './postgres-event-store';

jest.setTimeout(60_000);

const databases: TestDatabase[] = [];
async function freshStore(): Promise<PostgresEventStore> {
  const db = await createTestDatabase('forge_es');
  databases.push(db);
  return openPostgresEventStore(db.url);
}
afterAll(async () => {
  for (const db of databases) await db.drop();
});

describe('PostgresEventStore — the event store contract', () => {
  eventStoreContract(freshStore);
});

describe('PostgresEventStore — server-only behaviour', () => {
  let store: PostgresEventStore;
  let url: string;
  beforeAll(async () => {
    const db = await createTestDatabase('forge_es_server');
    databases.push(db);
    url = db.url;
    store = await openPostgresEventStore(url);
  });
  afterAll(() => store?.close());

  it('runs its migration again without harm, also from several openers at once', async () => {
    const again = await Promise.all([1, 2, 3].map(() => openPostgresEventStore(url)));
    await Promise.all(again.map((s) => s.close()));
    await store.append('m', [ev('A')]);
    expect((await store.verify()).ok).toBe(true);
  });

  it('a subscriber sees a late commit with a lower transaction id; a naive position reader skips it', async () => {
    const slowStream = `slow-${randomUUID()}`;
    const fastStream = `fast-${randomUUID()}`;
    const subscriberSaw: RecordedEvent[] = [];
    const sub = store.subscribe(`late-${randomUUID()}`, async (events) => {
      subscriberSaw.push(...events.filter((e) => e.streamId === slowStream || e.streamId === fastStream));
    }, { pollIntervalMs: 50 });
    await sub.caughtUp();

    // The naive reader: "everything after the highest position I have seen", ordered by position.
    let naiveCheckpoint = Number((await store.query<{ p: string | null }>('SELECT max(position) AS p FROM events')).rows[0].p ?? 0);
    const naiveSaw: string[] = [];
    const naiveRead = async () => {
      const r = await store.query<{ position: string; stream_id: string }>('SELECT position, stream_id FROM events WHERE position > $1 ORDER BY position', [naiveCheckpoint]);
      for (const row of r.rows) {
        naiveSaw.push(row.stream_id);
        naiveCheckpoint = Math.max(naiveCheckpoint, Number(row.position));
      }
    };

    // The slow writer takes its transaction id and position first, then holds the transaction open.
    const slow = new Client({ connectionString: url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const slowEvent = ev('Slow');
      const hash = eventHash(GENESIS_HASH, { streamId: slowStream, streamVersion: 1, eventId: slowEvent.id, type: slowEvent.type, data: slowEvent.data, metadata: slowEvent.metadata });
      const ins = await slow.query<{ position: string; transaction_id: string }>(
        `INSERT INTO events (stream_id, stream_version, event_id, type, data, metadata, prev_hash, hash)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7) RETURNING position, transaction_id::text`,
        [slowStream, slowEvent.id, slowEvent.type, slowEvent.data, slowEvent.metadata, GENESIS_HASH, hash],
      );
      await slow.query('INSERT INTO streams (stream_id, version, last_hash) VALUES ($1, 1, $2)', [slowStream, hash]);

      // The fast writer commits later positions and a higher transaction id while the slow one is open.
      const fast = await store.append(fastStream, [ev('Fast')]);
      expect(fast.positions[0]).toBeGreaterThan(Number(ins.rows[0].position));

      await naiveRead();
      await sub.caughtUp();
      expect(naiveSaw).toEqual([fastStream]);
      // Not visible yet to the correct reader: the slow transaction is still below the horizon.
      expect(subscriberSaw).toEqual([]);
      expect((await store.readAll()).some((e) => e.streamId === fastStream)).toBe(false);

      await slow.query('COMMIT');
      await store.waitUntilVisible([Number(ins.rows[0].position), ...fast.positions]);
    } finally {
      await slow.end();
    }

    await naiveRead();
    await sub.caughtUp();
    await sub.stop();
    // The naive reader moved past the slow event's position before it committed: skipped for good.
    expect(naiveSaw).toEqual([fastStream]);
    // The subscriber got both, ordered by (transaction id, position): the slow one first.
    expect(subscriberSaw.map((e) => e.streamId)).toEqual([slowStream, fastStream]);
    const all = (await store.readAll()).filter((e) => e.streamId === slowStream || e.streamId === fastStream);
    expect(all.map((e) => e.id)).toEqual(subscriberSaw.map((e) => e.id));
    expect((await store.readAll()).filter((e) => e.streamId === slowStream || e.streamId === fastStream)).toEqual(all);
  });

  it('load → decide → append: after reading a stream to its end, the append does not read the head again, and a stale read still conflicts', async () => {
    const s = `loaded-${randomUUID()}`;
    await store.append(s, [ev('A'), ev('B')], 'no_stream');
    // Another process: its head cache knows nothing of the stream.
    const other = await openPostgresEventStore(url);
    const statements: string[] = [];
    const query = other.database.pool.query.bind(other.database.pool);
    jest.spyOn(other.database.pool, 'query').mockImplementation(((sql: string | { text: string }, params?: unknown[]) => {
      statements.push(typeof sql === 'string' ? sql : sql.text);
      return query(sql as never, params);
    }) as never);
    try {
      const read = await other.readStream(s);
      statements.length = 0;
      await other.append(s, [ev('C')], read[read.length - 1].streamVersion);
      expect(statements.filter((q) => /FROM streams/.test(q))).toEqual([]);
      expect(statements.filter((q) => /forge_append/.test(q))).toHaveLength(1);

      // The loaded state goes stale: the stream moves in this process, the other appends on what it read.
      const stale = await other.readStream(s);
      await store.append(s, [ev('D')], 3);
      await expect(other.append(s, [ev('E')], stale[stale.length - 1].streamVersion)).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 4 });
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('sends the statements of every read and append as prepared statements, once per connection', async () => {
    const one = await openPostgresEventStore(url, { max: 1 });
    try {
      const s = `prepared-${randomUUID()}`;
      await one.append(s, [ev('A')], 'no_stream');
      await one.readStream(s);
      await one.readAll({ limit: 1 });
      await one.append(s, [ev('B')], 1);
      expect((await one.readStream(s)).map((e) => e.type)).toEqual(['A', 'B']);
      const names = (await one.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map((r) => r.name);
      expect(names).toEqual(['forge_append', 'forge_read_all', 'forge_read_head', 'forge_read_stream']);
    } finally {
      await one.close();
    }
  });

  it('kill -9 of a writer process mid-batch leaves no partial batch; the stream version is the last event version', async () => {
    const stream = `crash-${randomUUID()}`;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'append-forever.child.ts'), url, stream], {
      env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../../tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      // Wait for a committed batch, then for the writer's backend to be inside the next INSERT.
      const deadline = Date.now() + 40_000;
      while (!/appended 2000\n/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`writer did not append: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      for (;;) {
        const r = await store.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'forge-crash-writer' AND state = 'active' AND (query LIKE '%forge_append%' OR query LIKE '%INSERT INTO events%')`,
        );
        if (Number(r.rows[0].n) > 0) break;
        if (Date.now() > deadline) throw new Error('the writer never reached an INSERT');
        await new Promise((r) => setTimeout(r, 2));
      }
      child.kill('SIGKILL');
      await exited;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // The server notices the closed socket and aborts the open transaction.
    for (let i = 0; i < 500; i++) {
      const r = await store.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'forge-crash-writer'`);
      if (Number(r.rows[0].n) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const counts = await store.query<{ n: string; max: number }>('SELECT count(*) AS n, max(stream_version) AS max FROM events WHERE stream_id = $1', [stream]);
    const rows = Number(counts.rows[0].n);
    expect(rows).toBeGreaterThanOrEqual(2000);
    expect(rows % 2000).toBe(0);
    expect(Number(counts.rows[0].max)).toBe(rows);
    expect(await store.streamVersion(stream)).toBe(rows);
    const report = await store.verify();
    expect(report.firstProblem).toBeUndefined();
    expect(report.ok).toBe(true);
    // And the stream goes on from there.
    expect((await store.append(stream, [ev('After')], rows)).streamVersion).toBe(rows + 1);
  });
});
