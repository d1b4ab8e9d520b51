import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataFolderLockedError } from '../errors';
import { ev, eventStoreContract } from '../event-store.contract';
import { openPgliteEventStore } from './pglite-event-store';

jest.setTimeout(60_000);

describe('PgliteEventStore (in memory) — the event store contract', () => {
  eventStoreContract(() => openPgliteEventStore(undefined));
});

describe('PgliteEventStore — single connection', () => {
  it('queues every caller behind an open transaction, so no transaction can commit late behind a reader', async () => {
    // With one connection there are never two open transactions: the late-commit race of the server
    // cannot happen here (it is tested against PostgreSQL).
    const store = await openPgliteEventStore(undefined);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = store.withTransaction(async (tx) => {
        await tx.query('SELECT pg_current_xact_id()');
        await gate;
      });
      let appended = false;
      const fast = store.append('fast', [ev('Fast')]).then(() => (appended = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(appended).toBe(false);
      release();
      await Promise.all([slow, fast]);
      expect(appended).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('PgliteEventStore in a data folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-es-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // One test, two database opens: each PGlite start costs seconds on a busy machine.
  it('locks the folder against a second process (DATA_FOLDER_LOCKED), keeps events across reopen, takes over a dead holder\'s lock', async () => {
    const store = await openPgliteEventStore(dir);
    try {
      await store.append('s', [ev('A'), ev('B')]);
      // A second process opening the same folder.
      const script = `
        require('@swc-node/register');
        require(${JSON.stringify(path.resolve(__dirname, 'pglite-event-store.ts'))})
          .openPgliteEventStore(${JSON.stringify(dir)})
          .then(() => { console.log('opened'); process.exit(0); },
                (e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); process.exit(3); });`;
      const t0 = Date.now();
      const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../../tsconfig.base.json') } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exitCode = await new Promise<number | null>((r) => child.on('exit', r));
      expect(exitCode).toBe(3);
      const err = JSON.parse(out.trim().split('\n').pop()!);
      expect(err.code).toBe('DATA_FOLDER_LOCKED');
      expect(err.message).toContain(dir);
      expect(err.message).toContain(`pid ${process.pid}`);
      expect(Date.now() - t0).toBeLessThan(20_000);
      // The same process opening it twice is refused as well.
      await expect(openPgliteEventStore(dir)).rejects.toBeInstanceOf(DataFolderLockedError);
    } finally {
      await store.close();
    }
    expect(fs.existsSync(path.join(dir, 'eventstore', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'eventstore.lock'))).toBe(false);

    // A lock file left by a process that died is taken over.
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((r) => dead.on('exit', () => r(dead.pid!)));
    fs.writeFileSync(path.join(dir, 'eventstore.lock'), JSON.stringify({ pid: deadPid, host: os.hostname(), since: new Date().toISOString() }));
    const reopened = await openPgliteEventStore(dir);
    try {
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'eventstore.lock'), 'utf8')).pid).toBe(process.pid);
      expect((await reopened.readStream('s')).map((e) => e.type)).toEqual(['A', 'B']);
      expect((await reopened.verify()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});
