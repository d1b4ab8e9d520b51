import { performance } from 'node:perf_hooks';

// Benchmarks compare against a baseline measured in the same run; figures are medians of several runs.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The baseline's figure in the same unit, measured in this run. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
}

export interface BenchOptions {
  /** Repetitions per measurement; the median is reported. */
  runs: number;
  /** Smaller workloads, for a quick look. */
  quick: boolean;
  /** Progress lines go here (stderr), never to stdout, so --json stays parseable. */
  log: (line: string) => void;
}

export interface Benchmark {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

/** Runs `fn` `runs` times and returns the median wall time in milliseconds. */
export async function medianMs(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** A row with its baseline and the ratio between them. */
export function compared(name: string, value: number, unit: string, baseline: number): BenchRow {
  return { name, value, unit, baseline, ratio: baseline === 0 ? undefined : value / baseline };
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['name', 'value', 'unit', 'baseline', 'ratio'];
  const body = rows.map((r) => [r.name, fmt(r.value), r.unit, fmt(r.baseline), r.ratio === undefined ? '' : `${fmt(r.ratio)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
