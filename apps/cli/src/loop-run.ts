import * as path from 'node:path';
import type { EventStore } from '@forge/event-store';
import type { ForgeConfig } from '@forge/config';
import { withStore } from './context';
import { progressBar } from './progress';

export interface LoopRunOptions {
  iterations: string;
  preset: string;
  out: string;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));

/** Checked before anything heavy loads, so a typo costs nothing. */
export function parseIterations(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1000) throw invalid(`--iterations must be an integer from 0 to 1000, got '${value}'`);
  return Number(value);
}

/**
 * Runs the loop in the configured store and data folder, writes the report and prints its table.
 * `after` runs in the same store session (the demo verifies and seals there). Ctrl-C stops after the current step.
 */
export async function runLoopWithReport(opts: LoopRunOptions, after?: (store: EventStore, config: ForgeConfig) => Promise<void>): Promise<void> {
  const iterations = parseIterations(opts.iterations);
  // Loaded on use: the ML backend and models are heavy, and other commands should not pay for them.
  const { loopPreset, runLoop, writeReport, renderWorld } = await import('@forge/loop');
  const { initBackend, shutdownBackend } = await import('@forge/ml');
  const preset = loopPreset(opts.preset);
  const outDir = path.resolve(opts.out);
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stderr.write('\nstopping after the current step (Ctrl-C again to quit at once; a restart continues from the record)\n');
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  try {
    await initBackend();
    await withStore(async (store, config) => {
      process.stderr.write(`data folder: ${config.dataDir} (${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'}), preset ${preset.name}\n`);
      const result = await runLoop({
        store,
        dataDir: config.dataDir,
        preset,
        iterations,
        progress: progressBar,
        log: (line) => process.stderr.write(line + '\n'),
        shouldStop: () => stopRequested,
      });
      const world = await renderWorld(preset, config.dataDir);
      const report = await writeReport(store, config.dataDir, outDir, world.heldOut.map((h) => h.pixels));
      const minutes = ((Date.now() - started) / 60_000).toFixed(1);
      process.stdout.write(`${result.stopped ? 'stopped' : 'finished'} after ${minutes} min; report in ${outDir} (index.html, report.json)\n`);
      process.stdout.write('iteration  version        judge quality [95%]      judge match [95%]        Δ quality vs 0 [95%]     Δ match vs 0 [95%]       FD-fundus  promoted\n');
      const delta = (d: { mean: number; low: number; high: number } | null | undefined) => (d ? `${num(d.mean)} [${num(d.low)}, ${num(d.high)}]` : 'n/a').padEnd(24);
      report.iterations.forEach((r, i) => {
        process.stdout.write(
          `${String(i).padEnd(10)} ${r.generatorVersion.padEnd(14)} ${`${num(r.judgeQuality)} [${num(r.judgeQualityCI[0])}, ${num(r.judgeQualityCI[1])}]`.padEnd(24)} ${`${num(r.judgeMatch)} [${num(r.judgeMatchCI[0])}, ${num(r.judgeMatchCI[1])}]`.padEnd(24)} ${delta(r.judgeQualityVsIteration0)} ${delta(r.judgeMatchVsIteration0)} ${num(r.fdFundus).padEnd(10)} ${r.promoted ? 'yes' : 'no'}\n`,
        );
      });
      if (after && !result.stopped) await after(store, config);
    });
  } finally {
    process.off('SIGINT', onSigint);
    await shutdownBackend();
  }
}
