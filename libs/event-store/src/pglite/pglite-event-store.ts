import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { SqlEventStoreBase } from '../sql-event-store';
import { FolderLock, lockDataFolder } from './folder-lock';
import { PgliteDatabase } from './pglite-database';

let runtime: Promise<Pick<PGliteOptions, 'wasmModule' | 'fsBundle'>> | undefined;

/**
 * PGlite's own loader reaches its wasm and data files through a dynamic import(), which Jest's VM and
 * some bundlers refuse; we hand them over ourselves, compiled once per process.
 */
function pgliteRuntime(): Promise<Pick<PGliteOptions, 'wasmModule' | 'fsBundle'>> {
  runtime ??= (async () => {
    const dist = path.dirname(require.resolve('@electric-sql/pglite'));
    const [wasm, data] = await Promise.all([fs.promises.readFile(path.join(dist, 'pglite.wasm')), fs.promises.readFile(path.join(dist, 'pglite.data'))]);
    return { wasmModule: await WebAssembly.compile(wasm), fsBundle: new Blob([data]) };
  })();
  return runtime;
}

/**
 * The embedded store (the default without DATABASE_URL): PostgreSQL 17 in WebAssembly, same SQL as the
 * server. Its file backend does not fsync: fine for the demo and development, not for a regulated record.
 */
export class PgliteEventStore extends SqlEventStoreBase {
  private constructor(
    readonly database: PgliteDatabase,
    /** Folder holding the database files; undefined when in memory. */
    readonly folder: string | undefined,
    lock: FolderLock | undefined,
  ) {
    super('pglite', database, () => lock?.release());
  }

  static async open(dataDir: string | undefined): Promise<PgliteEventStore> {
    if (dataDir === undefined) {
      const store = new PgliteEventStore(new PgliteDatabase(await PGlite.create({ ...(await pgliteRuntime()) })), undefined, undefined);
      await store.migrate();
      return store;
    }
    const root = path.resolve(dataDir);
    fs.mkdirSync(root, { recursive: true });
    const folder = path.join(root, 'eventstore');
    const lock = lockDataFolder(root, path.join(root, 'eventstore.lock'));
    let db: PGlite | undefined;
    try {
      db = await PGlite.create({ dataDir: folder, ...(await pgliteRuntime()) });
      const store = new PgliteEventStore(new PgliteDatabase(db), folder, lock);
      await store.migrate();
      return store;
    } catch (err) {
      await db?.close().catch(() => undefined);
      lock.release();
      throw err;
    }
  }
}

/** Opens the embedded store under `<dataDir>/eventstore` (locked against other processes), or in memory without dataDir. */
export function openPgliteEventStore(dataDir?: string): Promise<PgliteEventStore> {
  return PgliteEventStore.open(dataDir);
}
