import { Command } from 'commander';
import { canonicalJson, rebuildState } from '@forge/domain';
import { formatAuditSummary } from '../audit-report';
import { withStore } from '../context';
import { collectEvents } from '../read-all';

export function register(program: Command): void {
  program
    .command('audit')
    .description('summary of the record: events by type, streams by category, actors, and the chain verification')
    .option('--json', 'print the summary and verification as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(async (store) => {
        const [state, verify] = [rebuildState(await collectEvents(store)), await store.verify()];
        if (opts.json) process.stdout.write(canonicalJson({ summary: state.audit, verify }, 2) + '\n');
        else process.stdout.write(formatAuditSummary(state.audit, verify) + '\n');
        if (!verify.ok) process.exitCode = 3;
      });
    });
}
