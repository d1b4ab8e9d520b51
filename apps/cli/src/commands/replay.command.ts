import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { canonicalJson, rebuildState } from '@forge/domain';
import { parseAsOf } from '../as-of';
import { withStore } from '../context';
import { collectEvents } from '../read-all';

export function register(program: Command): void {
  program
    .command('replay')
    .description('rebuild the whole read-model state from the event log, optionally as of a past moment (same bytes every time)')
    .option('--as-of <position|time>', 'a global position or an ISO 8601 time')
    .option('--out <file>', 'write the state (canonical JSON) to this file instead of stdout')
    .action(async (opts: { asOf?: string; out?: string }) => {
      const asOf = opts.asOf ? parseAsOf(opts.asOf) : {};
      await withStore(async (store) => {
        const state = rebuildState(await collectEvents(store), asOf);
        const text = canonicalJson(state, 2) + '\n';
        if (opts.out) {
          fs.writeFileSync(path.resolve(opts.out), text);
          process.stderr.write(`state as of position ${state.asOf.lastPosition ?? 0} (${state.asOf.events} events) written to ${opts.out}\n`);
        } else process.stdout.write(text);
      });
    });
}
