import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { Benchmark, formatTable } from '@forge/bench';

// Benchmarks live in tools/bench/src/<name>.bench.ts and export `benchmark: Benchmark`.
const benchDir = path.resolve(__dirname, '../../../../tools/bench/src');

function available(): string[] {
  return fs
    .readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .sort();
}

export function register(program: Command): void {
  program
    .command('bench')
    .description(`run one benchmark and print its figures (available: ${available().join(', ') || 'none'})`)
    .argument('<name>', 'benchmark name')
    .option('--json', 'print one JSON array of {name, value, unit, baseline?, ratio?}')
    .option('--runs <n>', 'repetitions per figure (median reported)', '5')
    .option('--quick', 'smaller workloads')
    .action(async (name: string, opts: { json?: boolean; runs: string; quick?: boolean }) => {
      if (!available().includes(name)) {
        throw Object.assign(new Error(`unknown benchmark '${name}'; available: ${available().join(', ')}`), { code: 'INVALID_ARGUMENT' });
      }
      const runs = Number(opts.runs);
      if (!Number.isInteger(runs) || runs < 1) throw Object.assign(new Error(`--runs must be a positive integer, got '${opts.runs}'`), { code: 'INVALID_ARGUMENT' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { benchmark } = require(path.join(benchDir, `${name}.bench.ts`)) as { benchmark: Benchmark };
      const rows = await benchmark.run({ runs, quick: !!opts.quick, log: (l) => process.stderr.write(l + '\n') });
      process.stdout.write((opts.json ? JSON.stringify(rows) : formatTable(rows)) + '\n');
    });
}
