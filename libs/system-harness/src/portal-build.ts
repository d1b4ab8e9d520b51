// `next build` is the slow part of the portal tests (a minute or more on two cores), so a build is
// reused while no source file of the portal is newer than it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const PORTAL_DIR = path.resolve(__dirname, '../../../apps/portal');
const SOURCES = ['app', 'lib', 'next.config.mjs', 'package.json', 'tsconfig.json'];

function newestSource(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(p).reduce((t, name) => Math.max(t, newestSource(path.join(p, name))), stat.mtimeMs);
}

export function portalBuildIsCurrent(): boolean {
  const marker = path.join(PORTAL_DIR, '.next', 'BUILD_ID');
  if (!fs.existsSync(marker)) return false;
  const built = fs.statSync(marker).mtimeMs;
  return SOURCES.every((s) => !fs.existsSync(path.join(PORTAL_DIR, s)) || newestSource(path.join(PORTAL_DIR, s)) <= built);
}

/** Builds the portal unless the existing build is current; returns what it did and how long it took. */
export async function buildPortal(): Promise<{ built: boolean; ms: number }> {
  const t0 = Date.now();
  if (portalBuildIsCurrent()) return { built: false, ms: Date.now() - t0 };
  const next = require.resolve('next/dist/bin/next', { paths: [PORTAL_DIR] });
  try {
    await promisify(execFile)(process.execPath, [next, 'build'], { cwd: PORTAL_DIR, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`next build failed in ${PORTAL_DIR}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  return { built: true, ms: Date.now() - t0 };
}
