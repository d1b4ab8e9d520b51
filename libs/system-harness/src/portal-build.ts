// `next build` is the slow part of the portal tests (a minute or more on two cores), so a build is
// reused while the portal's sources hash to what they were when it started.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const PORTAL_DIR = path.resolve(__dirname, '../../../apps/portal');
const SOURCES = ['app', 'lib', 'next.config.mjs', 'package.json', 'tsconfig.json'];
const STAMP = path.join(PORTAL_DIR, '.next', 'forge-sources.sha256');

function hashInto(hash: ReturnType<typeof createHash>, p: string): void {
  if (!fs.existsSync(p)) return;
  if (fs.statSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) hashInto(hash, path.join(p, name));
    return;
  }
  hash.update(path.relative(PORTAL_DIR, p)).update('\0').update(fs.readFileSync(p)).update('\0');
}

/** sha256 over the names and contents of every portal source file. */
export function portalSourceHash(): string {
  const hash = createHash('sha256');
  for (const s of SOURCES) hashInto(hash, path.join(PORTAL_DIR, s));
  return hash.digest('hex');
}

export function portalBuildIsCurrent(sourceHash = portalSourceHash()): boolean {
  return fs.existsSync(path.join(PORTAL_DIR, '.next', 'BUILD_ID')) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === sourceHash;
}

/** Builds the portal unless the existing build is current; returns what it did and how long it took. */
export async function buildPortal(): Promise<{ built: boolean; ms: number }> {
  const t0 = Date.now();
  // Hashed before building: an edit made during the build makes the next run build again.
  const sourceHash = portalSourceHash();
  if (portalBuildIsCurrent(sourceHash)) return { built: false, ms: Date.now() - t0 };
  const next = require.resolve('next/dist/bin/next', { paths: [PORTAL_DIR] });
  try {
    await promisify(execFile)(process.execPath, [next, 'build'], { cwd: PORTAL_DIR, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`next build failed in ${PORTAL_DIR}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  fs.writeFileSync(STAMP, sourceHash);
  return { built: true, ms: Date.now() - t0 };
}
