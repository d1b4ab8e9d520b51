import { Command } from 'commander';
import { rebuildState } from '@forge/domain';
import { formatAuditSummary } from '../audit-report';
import { LoopRunOptions, parseIterations, runLoopWithReport } from '../loop-run';
import { collectEvents } from '../read-all';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'on embedded defaults, from nothing: a phantom dataset, the text encoder, generator, selector and policy trained, loop iterations with the simulated expert panel, evaluation, a report folder (index.html, report.json), then the record verified, sealed and summarised',
    )
    .option('--out <dir>', 'report folder', 'forge-report')
    .option('--iterations <n>', 'refinement iterations', '3')
    .option('--preset <name>', 'model and data sizes: demo (minutes) or tiny (seconds)', 'demo')
    .action(async (opts: LoopRunOptions) => {
      parseIterations(opts.iterations);
      await runLoopWithReport(opts, async (store) => {
        const verify = await store.verify();
        if (verify.ok) {
          const seal = await store.seal();
          process.stdout.write(`\nsealed the record up to position ${seal.upToPosition}: ${seal.hash.slice(0, 16)}…\n\n`);
        }
        const state = rebuildState(await collectEvents(store));
        process.stdout.write(formatAuditSummary(state.audit, verify.ok ? await store.verify() : verify) + '\n');
        if (!verify.ok) process.exitCode = 3;
      });
    });
}
