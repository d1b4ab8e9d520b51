import { Command } from 'commander';
import { withStore } from '../context';

export function register(program: Command): void {
  program
    .command('verify')
    .description('recompute every stream hash chain and seal; exit 3 and name the first broken link if any')
    .option('--json', 'print the report as JSON')
    .option('--seal', 'after a clean verification, store a new seal over all stream heads')
    .action(async (opts: { json?: boolean; seal?: boolean }) => {
      await withStore(async (store) => {
        const report = await store.verify();
        if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else if (report.ok) {
          process.stdout.write(`verified: ${report.events} events in ${report.streams} streams, ${report.seals.checked} seals — chain intact\n`);
        } else {
          const p = report.firstProblem!;
          process.stdout.write(`BROKEN: first broken link in stream ${p.streamId} at version ${p.streamVersion} (position ${p.position}): ${p.reason}\n`);
          process.stdout.write(`${report.problems.length} problem(s) in total; ${report.seals.broken} of ${report.seals.checked} seals broken\n`);
        }
        if (!report.ok) {
          process.exitCode = 3;
          return;
        }
        if (opts.seal) {
          const seal = await store.seal();
          process.stdout.write(`sealed up to position ${seal.upToPosition}: ${seal.hash}\n`);
        }
      });
    });
}
