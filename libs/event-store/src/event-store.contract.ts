import { randomUUID } from 'node:crypto';
import { EventIdReusedError, WrongExpectedVersionError } from './errors';
import { eventHash } from './hash';
import type { NewEvent, RecordedEvent } from './port';
import type { SqlEventStore } from './sql-event-store';

// The contract both adapters must pass. `open` gives a store on an empty database each call.

export function ev(type: string, data: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): NewEvent {
  return { id: randomUUID(), type, data: data as NewEvent['data'], metadata: metadata as NewEvent['metadata'] };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function count(store: SqlEventStore, streamId: string): Promise<number> {
  const r = await store.query<{ n: string | number }>('SELECT count(*) AS n FROM events WHERE stream_id = $1', [streamId]);
  return Number(r.rows[0].n);
}

export function eventStoreContract(open: () => Promise<SqlEventStore>): void {
  let store: SqlEventStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('append and read', () => {
    it('stores a batch atomically with consecutive versions and a hash chain', async () => {
      const s = `order-${randomUUID()}`;
      const first = await store.append(s, [ev('A', { n: 1 }), ev('B', { n: 2.5, nested: { z: 1, a: [1, 'x'] } })], 'no_stream');
      expect(first.streamVersion).toBe(2);
      expect(first.positions).toHaveLength(2);
      expect(first.positions[1]).toBeGreaterThan(first.positions[0]);
      const second = await store.append(s, [ev('C')], 2);
      expect(second.streamVersion).toBe(3);
      const read = await store.readStream(s);
      expect(read.map((e) => [e.type, e.streamVersion])).toEqual([['A', 1], ['B', 2], ['C', 3]]);
      expect(read[0].prevHash).toBe('0'.repeat(64));
      expect(read[1].prevHash).toBe(read[0].hash);
      expect(read[2].prevHash).toBe(read[1].hash);
      expect(read[1].data).toEqual({ n: 2.5, nested: { z: 1, a: [1, 'x'] } });
      expect(read[2].transactionId).not.toBe(read[0].transactionId);
      expect(read[0].transactionId).toBe(read[1].transactionId);
      expect(await store.readStream(s, { fromVersion: 2, toVersion: 2 })).toEqual([read[1]]);
      expect(await store.streamVersion(s)).toBe(3);
    });

    it('appends to several streams in one transaction: all or none, idempotent on retry', async () => {
      const a = `multi-a-${randomUUID()}`;
      const b = `multi-b-${randomUUID()}`;
      await store.append(b, [ev('Existing')], 'no_stream');
      // b is at version 1, so expecting 'no_stream' there must leave a untouched too.
      const conflict = await store
        .appendToStreams([
          { streamId: a, events: [ev('A1'), ev('A2')], expectedVersion: 'no_stream' },
          { streamId: b, events: [ev('B2')], expectedVersion: 'no_stream' },
        ])
        .catch((e) => e);
      expect(conflict).toBeInstanceOf(WrongExpectedVersionError);
      expect(conflict).toMatchObject({ streamId: b, actual: 1 });
      expect(await count(store, a)).toBe(0);
      expect(await count(store, b)).toBe(1);

      const batches = [
        { streamId: b, events: [ev('B2')], expectedVersion: 1 },
        { streamId: a, events: [ev('A1'), ev('A2')], expectedVersion: 'no_stream' as const },
      ];
      const results = await store.appendToStreams(batches);
      expect(results.map((r) => [r.streamId, r.streamVersion])).toEqual([[b, 2], [a, 2]]);
      const all = [...(await store.readStream(a)), ...(await store.readStream(b))];
      expect(new Set(all.filter((e) => e.type !== 'Existing').map((e) => e.transactionId)).size).toBe(1);
      expect(await store.appendToStreams(batches)).toEqual(results);
      expect((await store.verify()).ok).toBe(true);
      await expect(store.appendToStreams([{ streamId: a, events: [ev('X')] }, { streamId: a, events: [ev('Y')] }])).rejects.toThrow(/appears twice/);
    });

    it('checks the expected version and reports a typed conflict', async () => {
      const s = `exp-${randomUUID()}`;
      const missing = await store.append(s, [ev('A')], 'stream_exists').catch((e) => e);
      expect(missing).toBeInstanceOf(WrongExpectedVersionError);
      expect(missing).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: s, expected: 'stream_exists', actual: 0 });
      await store.append(s, [ev('A')], 0);
      await expect(store.append(s, [ev('B')], 'no_stream')).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: 1 });
      await expect(store.append(s, [ev('B')], 0)).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', expected: 0, actual: 1 });
      await expect(store.append(s, [ev('B')], 5)).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await store.append(s, [ev('B')], 'stream_exists');
      await store.append(s, [ev('C')], 'any');
      expect(await count(store, s)).toBe(3);
    });

    it('refuses malformed input before touching the database', async () => {
      await expect(store.append('x', [{ ...ev('A'), id: 'not-a-uuid' }])).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(store.append('x', [])).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(store.append('x', [ev('A', { n: NaN })])).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      const e = ev('A');
      await expect(store.append('x', [e, e])).rejects.toThrow(/appears twice/);
      expect(await store.streamVersion('x')).toBe(0);
    });

    it('16 concurrent writers × 25 appends on one stream: no gaps, successes = rows, the rest typed conflicts, chain intact', async () => {
      const s = `race-${randomUUID()}`;
      let successes = 0;
      let conflicts = 0;
      const others: unknown[] = [];
      const writer = async (w: number) => {
        for (let i = 0; i < 25; i++) {
          const version = await store.streamVersion(s);
          try {
            await store.append(s, [ev('Tick', { w, i })], version);
            successes++;
          } catch (err) {
            if (err instanceof WrongExpectedVersionError) conflicts++;
            else others.push(err);
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
      expect(others).toEqual([]);
      expect(successes + conflicts).toBe(400);
      expect(successes).toBeGreaterThan(0);
      const events = await store.readStream(s);
      expect(events).toHaveLength(successes);
      expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: successes }, (_, i) => i + 1));
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : events[i - 1].hash);
        expect(eventHash(e.prevHash, { streamId: s, streamVersion: e.streamVersion, eventId: e.id, type: e.type, data: e.data, metadata: e.metadata })).toBe(e.hash);
      }
      expect(await store.streamVersion(s)).toBe(successes);
    });

    it('16 writers creating the same new stream: one wins, the others get the typed conflict', async () => {
      const s = `new-${randomUUID()}`;
      const results = await Promise.allSettled(Array.from({ length: 16 }, (_, w) => store.append(s, [ev('Created', { w })], 'no_stream')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(15);
      for (const r of rejected) expect(r.reason).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: s, actual: 1 });
      expect(await count(store, s)).toBe(1);
    });
  });

  describe('idempotence by event id', () => {
    it('returns the stored result when the same batch is appended again', async () => {
      const s = `idem-${randomUUID()}`;
      const batch = [ev('A', { b: 1, a: 2 }), ev('B')];
      const first = await store.append(s, batch, 'no_stream');
      await store.append(s, [ev('C')], 2);
      // The retry still names the old expected version: it succeeded before, so it must succeed again.
      expect(await store.append(s, batch, 'no_stream')).toEqual(first);
      expect(await store.append(s, batch, 'any')).toEqual(first);
      // Same content with keys in another order is the same content.
      const reordered = batch.map((e) => ({ ...e, data: JSON.parse(JSON.stringify(e.data, Object.keys(e.data).reverse())) }));
      expect(await store.append(s, reordered, 'any')).toEqual(first);
      expect(await count(store, s)).toBe(3);
      expect(await store.streamVersion(s)).toBe(3);
    });

    it('refuses an id reused with other content, in another stream, or in a different batch', async () => {
      const s = `reuse-${randomUUID()}`;
      const a = ev('A', { v: 1 });
      const b = ev('B');
      await store.append(s, [a, b]);
      const before = await store.readStream(s);
      await expect(store.append(s, [{ ...a, data: { v: 2 } }])).rejects.toBeInstanceOf(EventIdReusedError);
      await expect(store.append(s, [{ ...a, type: 'Other' }])).rejects.toMatchObject({ code: 'EVENT_ID_REUSED', eventId: a.id });
      await expect(store.append(s, [{ ...a, metadata: { actor: 'x' } }])).rejects.toMatchObject({ code: 'EVENT_ID_REUSED' });
      await expect(store.append(`other-${s}`, [a])).rejects.toThrow(/already stored in stream/);
      await expect(store.append(s, [a, ev('New')])).rejects.toMatchObject({ code: 'EVENT_ID_REUSED' });
      await expect(store.append(s, [b, a])).rejects.toMatchObject({ code: 'EVENT_ID_REUSED' });
      expect(await store.readStream(s)).toEqual(before);
      expect(await store.streamVersion(`other-${s}`)).toBe(0);
    });

    it('collapses concurrent retries of one batch into one stored batch', async () => {
      const s = `retry-${randomUUID()}`;
      const batch = [ev('A'), ev('B'), ev('C')];
      const results = await Promise.all(Array.from({ length: 8 }, () => store.append(s, batch, 'any')));
      for (const r of results) expect(r).toEqual(results[0]);
      expect(await count(store, s)).toBe(3);
    });
  });

  describe('immutability', () => {
    it('refuses UPDATE, DELETE and TRUNCATE on events and seals in the database itself', async () => {
      const s = `imm-${randomUUID()}`;
      await store.append(s, [ev('A')]);
      await store.seal();
      await expect(store.query(`UPDATE events SET type = 'X' WHERE stream_id = $1`, [s])).rejects.toThrow(/UPDATE on events is refused/);
      await expect(store.query(`DELETE FROM events WHERE stream_id = $1`, [s])).rejects.toThrow(/DELETE on events is refused/);
      await expect(store.query(`DELETE FROM events WHERE false`)).rejects.toThrow(/refused/);
      await expect(store.query('TRUNCATE events CASCADE')).rejects.toThrow(/TRUNCATE on events is refused/);
      await expect(store.query(`UPDATE seals SET hash = 'x'`)).rejects.toThrow(/UPDATE on seals is refused/);
      await expect(store.query('DELETE FROM seals')).rejects.toThrow(/refused/);
      await expect(store.query('TRUNCATE seals')).rejects.toThrow(/TRUNCATE on seals is refused/);
      expect((await store.readStream(s))[0].type).toBe('A');
    });
  });

  describe('global order', () => {
    it('reads all visible events by (transaction id, position), strictly after a checkpoint', async () => {
      const s = `all-${randomUUID()}`;
      const ab = await store.append(s, [ev('A'), ev('B')]);
      const c = await store.append(s, [ev('C')]);
      // Readers see an append once no older transaction in the cluster is open (other tests share it).
      await store.waitUntilVisible([...ab.positions, ...c.positions]);
      const all = await store.readAll();
      const key = (e: RecordedEvent) => [BigInt(e.transactionId), e.position] as const;
      for (let i = 1; i < all.length; i++) {
        const [t0, p0] = key(all[i - 1]);
        const [t1, p1] = key(all[i]);
        expect(t0 < t1 || (t0 === t1 && p0 < p1)).toBe(true);
      }
      const mine = all.filter((e) => e.streamId === s);
      expect(mine.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      const afterA = await store.readAll({ after: { transactionId: mine[0].transactionId, position: mine[0].position } });
      expect(afterA.slice(0, 2).map((e) => e.type)).toEqual(['B', 'C']);
      expect(await store.readAll({ after: { transactionId: mine[0].transactionId, position: mine[0].position }, limit: 1 })).toHaveLength(1);
      const pages: RecordedEvent[] = [];
      for await (const page of store.readAllPages({ pageSize: 2 })) pages.push(...page);
      expect(pages).toEqual(await store.readAll());
    });
  });

  describe('notifications', () => {
    it('delivers a notice on a named channel to its listeners until they stop; refuses channel names it cannot listen on', async () => {
      let heard = 0;
      const stop = await store.listen('contract_probe', () => heard++);
      const before = heard; // a listener may be called once on connecting
      await store.notify('contract_probe');
      for (let i = 0; i < 500 && heard === before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toBe(before + 1);
      await stop();
      await store.notify('contract_probe');
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toBe(before + 1);
      await expect(store.listen('Bad; DROP TABLE events', () => undefined)).rejects.toThrow(/lowercase identifier/);
      await expect(store.notify('forge_events')).rejects.toThrow(/belongs to the event store/);
    });
  });

  describe('subscriptions', () => {
    it('stores the checkpoint in the handler transaction; a failing handler leaves checkpoint and effects unchanged', async () => {
      const s = `sub-${randomUUID()}`;
      const name = `effects-${randomUUID()}`;
      const table = `effects_${name.replace(/-/g, '_')}`;
      await store.exec(`CREATE TABLE ${table} (event_id uuid PRIMARY KEY, type text NOT NULL)`);
      await store.waitUntilVisible(await store.append(s, [ev('A'), ev('B')]));
      let failOn: string | undefined = 'Poison';
      const sub = store.subscribe(
        name,
        async (events, tx) => {
          for (const e of events) {
            if (e.streamId !== s) continue;
            await tx.query(`INSERT INTO ${table} (event_id, type) VALUES ($1, $2)`, [e.id, e.type]);
            if (e.type === failOn) throw new Error('handler failed on purpose');
          }
        },
        { pollIntervalMs: 50, batchSize: 100 },
      );
      try {
        await sub.caughtUp();
        const types = async () => (await store.query<{ type: string }>(`SELECT type FROM ${table} ORDER BY type`)).rows.map((r) => r.type);
        expect(await types()).toEqual(['A', 'B']);
        const cp1 = await store.checkpoint(name);
        const lastB = (await store.readStream(s))[1];
        expect(cp1).toBeDefined();
        expect(BigInt(cp1!.transactionId) >= BigInt(lastB.transactionId)).toBe(true);

        await store.waitUntilVisible(await store.append(s, [ev('C'), ev('Poison'), ev('D')]));
        await expect(sub.caughtUp()).rejects.toThrow(/handler failed on purpose/);
        expect(await types()).toEqual(['A', 'B']); // C was inserted in the failed transaction: rolled back too
        expect(await store.checkpoint(name)).toEqual(cp1);

        failOn = undefined;
        await sub.caughtUp();
        expect(await types()).toEqual(['A', 'B', 'C', 'D', 'Poison']);
        const all = await store.readAll();
        const last = all[all.length - 1];
        expect(await store.checkpoint(name)).toEqual({ transactionId: last.transactionId, position: last.position });
      } finally {
        await sub.stop();
      }
    });

    it('is woken by NOTIFY without waiting for the polling interval', async () => {
      const s = `wake-${randomUUID()}`;
      const seen: string[] = [];
      const got = deferred();
      const sub = store.subscribe(
        `wake-${randomUUID()}`,
        async (events) => {
          for (const e of events) if (e.streamId === s) {
            seen.push(e.type);
            got.resolve();
          }
        },
        { pollIntervalMs: 60_000 },
      );
      try {
        await sub.caughtUp();
        const t0 = Date.now();
        await store.append(s, [ev('Ping')]);
        await got.promise;
        // Well under the 60 s polling interval (an older open transaction elsewhere may delay visibility a little).
        expect(Date.now() - t0).toBeLessThan(30_000);
        expect(seen).toEqual(['Ping']);
      } finally {
        await sub.stop();
      }
    });

    it('two instances of one subscription never both apply a batch (compare-and-set)', async () => {
      const s = `cas-${randomUUID()}`;
      const name = `cas-${randomUUID()}`;
      const table = `cas_${name.replace(/-/g, '_')}`;
      await store.exec(`CREATE TABLE ${table} (event_id uuid NOT NULL)`);
      for (let i = 0; i < 10; i++) await store.waitUntilVisible(await store.append(s, [ev('E', { i })]));
      const handler = async (events: RecordedEvent[], tx: { query: SqlEventStore['query'] }) => {
        // Without the compare-and-set, both instances could commit the same batch: more rows than events.
        for (const e of events) if (e.streamId === s) await tx.query(`INSERT INTO ${table} (event_id) VALUES ($1)`, [e.id]);
      };
      const errors: unknown[] = [];
      const subs = [1, 2].map(() => store.subscribe(name, handler, { batchSize: 3, pollIntervalMs: 20, onError: (e) => errors.push(e) }));
      try {
        await Promise.all(subs.map((x) => x.caughtUp()));
      } finally {
        await Promise.all(subs.map((x) => x.stop()));
      }
      const n = await store.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
      expect(Number(n.rows[0].n)).toBe(10);
      expect(errors).toEqual([]);
    });
  });

  describe('verify and seals', () => {
    it('passes on an intact store and chains seals', async () => {
      const fresh = await open();
      try {
        // A seal covers finished transactions below the cluster's horizon; wait for ours to be below it.
        await fresh.waitUntilVisible(await fresh.append('a', [ev('A'), ev('B')]));
        const s1 = await fresh.seal();
        await fresh.waitUntilVisible(await fresh.append('b', [ev('C')]));
        await fresh.waitUntilVisible(await fresh.append('a', [ev('D')]));
        const s2 = await fresh.seal();
        expect(s2.prevHash).toBe(s1.hash);
        expect(s2.upToPosition).toBeGreaterThan(s1.upToPosition);
        expect(s2.streamCount).toBe(2);
        const report = await fresh.verify();
        expect(report).toMatchObject({ ok: true, streams: 2, events: 4, problems: [], seals: { checked: 2, broken: 0 } });
        expect(report.firstProblem).toBeUndefined();
        expect((await fresh.seals()).map((x) => x.hash)).toEqual([s1.hash, s2.hash]);
      } finally {
        await fresh.close();
      }
    });

    it('names the first broken stream and version after a superuser changes a row with triggers disabled', async () => {
      const fresh = await open();
      try {
        await fresh.append('patient-b', [ev('A'), ev('B'), ev('C')]);
        await fresh.waitUntilVisible(await fresh.append('patient-a', [ev('A'), ev('B', { score: 1 }), ev('C')]));
        await fresh.seal();
        expect((await fresh.verify()).ok).toBe(true);
        await fresh.withTransaction(async (tx) => {
          await tx.query(`SET LOCAL session_replication_role = replica`);
          await tx.query(`UPDATE events SET data = '{"score": 3}' WHERE stream_id = 'patient-a' AND stream_version = 2`);
          await tx.query(`UPDATE events SET metadata = '{"who": "x"}' WHERE stream_id = 'patient-b' AND stream_version = 3`);
        });
        const report = await fresh.verify();
        expect(report.ok).toBe(false);
        expect(report.firstProblem).toMatchObject({ streamId: 'patient-a', streamVersion: 2 });
        expect(report.firstProblem!.reason).toMatch(/content does not match its stored hash/);
        expect(report.problems.map((p) => `${p.streamId}@${p.streamVersion}`).sort()).toEqual(['patient-a@2', 'patient-b@3']);
      } finally {
        await fresh.close();
      }
    });

    it('catches a rewritten chain tail through the stream head and the seal, and a deleted event as a gap', async () => {
      const fresh = await open();
      try {
        await fresh.waitUntilVisible(await fresh.append('s', [ev('A'), ev('B')]));
        await fresh.waitUntilVisible(await fresh.append('t', [ev('A'), ev('B'), ev('C')]));
        const seal = await fresh.seal();
        expect(seal.streamCount).toBe(2);
        const [, last] = await fresh.readStream('s');
        // A careful forger recomputes the hash of the event they changed; the chain alone would look fine.
        const data = { forged: true };
        const hash = eventHash(last.prevHash, { streamId: 's', streamVersion: 2, eventId: last.id, type: last.type, data, metadata: last.metadata });
        await fresh.withTransaction(async (tx) => {
          await tx.query(`SET LOCAL session_replication_role = replica`);
          await tx.query(`UPDATE events SET data = $1, hash = $2 WHERE stream_id = 's' AND stream_version = 2`, [JSON.stringify(data), hash]);
          await tx.query(`DELETE FROM events WHERE stream_id = 't' AND stream_version = 2`);
        });
        const report = await fresh.verify();
        expect(report.ok).toBe(false);
        expect(report.firstProblem).toMatchObject({ streamId: 's', streamVersion: 2 });
        expect(report.firstProblem!.reason).toMatch(/stream head/);
        expect(report.problems).toEqual(expect.arrayContaining([expect.objectContaining({ streamId: 't', streamVersion: 2, reason: expect.stringMatching(/version 2 is missing/) })]));
        expect(report.seals).toEqual({ checked: 1, broken: 1 });
      } finally {
        await fresh.close();
      }
    });
  });
}
