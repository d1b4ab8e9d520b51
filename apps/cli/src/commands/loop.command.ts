import { Command } from 'commander';
import { withStore } from '../context';
import type { LoopWorkerOptions } from '../loop-worker';
import { LoopRunOptions, runLoopWithReport } from '../loop-run';

export function register(program: Command): void {
  const loop = program.command('loop').description('the self-improvement loop: generate → score → route → rate → retrain → evaluate → promote or reject');

  loop
    .command('run')
    .description('run the loop on embedded defaults in the data folder (resumable: a restart continues where the record stops); Ctrl-C stops after the current step')
    .option('--iterations <n>', 'refinement iterations to have completed', '3')
    .option('--preset <name>', 'model and data sizes: tiny (seconds) or demo', 'demo')
    .option('--out <dir>', 'report folder (report.json, index.html, contact sheets)', 'forge-report')
    .action((opts: LoopRunOptions) => runLoopWithReport(opts));

  loop
    .command('worker')
    .description('process the loop\'s jobs (train-selector, train-policy, refine-generator, generate, score, route, evaluate) from Redis (REDIS_URL) until SIGTERM/SIGINT; an interrupted training resumes from its last partial checkpoint, and a refined generator is evaluated and gated next')
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
