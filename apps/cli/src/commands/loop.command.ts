import * as path from 'node:path';
import { Command } from 'commander';
import { withStore } from '../context';
import type { LoopWorkerOptions } from '../loop-worker';
import { progressBar } from '../progress';

interface RunOptions {
  iterations: string;
  preset: string;
  out: string;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_ARGUMENT' });
}

const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));

export function register(program: Command): void {
  const loop = program.command('loop').description('the self-improvement loop: generate → score → route → rate → retrain → evaluate → promote or reject');

  loop
    .command('run')
    .description('run the loop on embedded defaults in the data folder (resumable: a restart continues where the record stops); Ctrl-C stops after the current step')
    .option('--iterations <n>', 'refinement iterations to have completed', '3')
    .option('--preset <name>', 'model and data sizes: tiny (seconds) or demo', 'demo')
    .option('--out <dir>', 'report folder (report.json, index.html, contact sheets)', 'forge-report')
    .action(async (opts: RunOptions) => {
      if (!/^\d+$/.test(opts.iterations) || Number(opts.iterations) < 0 || Number(opts.iterations) > 1000) throw invalid(`--iterations must be an integer from 0 to 1000, got '${opts.iterations}'`);
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
            iterations: Number(opts.iterations),
            progress: progressBar,
            log: (line) => process.stderr.write(line + '\n'),
            shouldStop: () => stopRequested,
          });
          const world = await renderWorld(preset, config.dataDir);
          const report = await writeReport(store, config.dataDir, outDir, world.heldOut.map((h) => h.pixels));
          const minutes = ((Date.now() - started) / 60_000).toFixed(1);
          process.stdout.write(`${result.stopped ? 'stopped' : 'finished'} after ${minutes} min; report in ${outDir}\n`);
          process.stdout.write('iteration  version        judge quality [95%]      judge match [95%]        Δ quality vs 0 [95%]     FD-fundus  promoted\n');
          report.iterations.forEach((r, i) => {
            const d = r.judgeQualityVsIteration0;
            process.stdout.write(
              `${String(i).padEnd(10)} ${r.generatorVersion.padEnd(14)} ${`${num(r.judgeQuality)} [${num(r.judgeQualityCI[0])}, ${num(r.judgeQualityCI[1])}]`.padEnd(24)} ${`${num(r.judgeMatch)} [${num(r.judgeMatchCI[0])}, ${num(r.judgeMatchCI[1])}]`.padEnd(24)} ${(d ? `${num(d.mean)} [${num(d.low)}, ${num(d.high)}]` : 'n/a').padEnd(24)} ${num(r.fdFundus).padEnd(10)} ${r.promoted ? 'yes' : 'no'}\n`,
            );
          });
        });
      } finally {
        process.off('SIGINT', onSigint);
        await shutdownBackend();
      }
    });

  loop
    .command('worker')
    .description('process the loop\'s jobs (train-selector, train-policy, refine-generator, generate, score, evaluate) from Redis (REDIS_URL) until SIGTERM/SIGINT; an interrupted training resumes from its last partial checkpoint, and a refined generator is evaluated and gated next')
    .option('--preset <name>', 'model and data sizes of the data folder: tiny or demo', 'demo')
    .option('--checkpoint-every <n>', 'training steps between partial checkpoints', '25')
    .option('--queue-prefix <prefix>', 'Redis key prefix of the job queues', 'forge')
    .option('--lock-ms <ms>', 'how long a job stays locked to a worker that stopped answering before another worker takes it over', '30000')
    .action(async (opts: LoopWorkerOptions) => {
      const { runLoopWorker } = await import('../loop-worker');
      await runLoopWorker(opts);
    });

  loop
    .command('status')
    .description('iterations, model versions, promotions and rejections with their reasons, and the last evaluation, read from the record')
    .action(async () => {
      const { loopStatus } = await import('@forge/loop');
      await withStore(async (store) => {
        process.stdout.write(await loopStatus(store));
      });
    });
}
