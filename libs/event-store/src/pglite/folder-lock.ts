import * as fs from 'node:fs';
import * as os from 'node:os';
import { DataFolderLockedError } from '../errors';

// PGlite's file backend locks nothing: two processes on one folder corrupt it. We hold a lock file
// created with O_EXCL that names our pid; a file left by a dead process is taken over.

interface LockContent {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(file: string): { raw: string; content?: LockContent } | undefined {
  try {
    const raw = fs.readFileSync(file, 'utf8');
    try {
      return { raw, content: JSON.parse(raw) as LockContent };
    } catch {
      return { raw };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface FolderLock {
  readonly file: string;
  release(): void;
}

/** Takes `<folder>/eventstore.lock` or throws DataFolderLockedError naming the holder. */
export function lockDataFolder(folder: string, lockFile: string): FolderLock {
  const mine: LockContent = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify(mine), { flag: 'wx', mode: 0o644 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        const current = readLock(lockFile);
        if (current?.content?.pid === mine.pid && current.content.since === mine.since) fs.rmSync(lockFile, { force: true });
      };
      process.on('exit', release);
      return { file: lockFile, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readLock(lockFile);
    if (!held) continue; // released meanwhile
    const holder = held.content;
    const stale = holder && typeof holder.pid === 'number' && holder.host === mine.host && !alive(holder.pid);
    // An unreadable lock file may be one being written right now: treat it as held.
    if (!stale) throw new DataFolderLockedError(folder, holder?.pid ?? -1);
    // Remove it only if it is still the same stale file (another opener may have replaced it).
    if (readLock(lockFile)?.raw === held.raw) fs.rmSync(lockFile, { force: true });
  }
  const holder = readLock(lockFile)?.content;
  throw new DataFolderLockedError(folder, holder?.pid ?? -1);
}
