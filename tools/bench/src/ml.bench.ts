import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { measureNativeSgemm } from '@forge/native-sgemm';
import { Benchmark, BenchOptions, BenchRow, compared } from './harness';
import { REFERENCE_STEP, type MatMulCase, type ProbeRequest, type ProbeResult } from './ml-matmul-probe';

// matMul GFLOP/s of our fixed wasm backend (1 and 2 threads) against stock wasm, the plain JS
// cpu backend and native OpenBLAS SGEMM, all measured in this run. Ratios are ours / native at
// the same thread count; batched products are compared with one native GEMM of the same
// (batch·M) × N × K.
//
// Model figures (training steps/s, samples/s) come from `benchmarkModels` when @forge/ml exports
// it: `(options: {runs, quick, log}) => Promise<{name, value, unit, baseline?}[]>`.

const CASES: MatMulCase[] = [
  { name: '1024×256·256×768', a: [1024, 256], b: [256, 768], transposeA: false, transposeB: false, dims: [1, 1024, 768, 256] },
  { name: '1024×256·256×768 transposeA', a: [256, 1024], b: [256, 768], transposeA: true, transposeB: false, dims: [1, 1024, 768, 256] },
  { name: '1024×256·256×768 transposeB', a: [1024, 256], b: [768, 256], transposeA: false, transposeB: true, dims: [1, 1024, 768, 256] },
  { name: '[16,64,256]·[256,768] shared weight', a: [16, 64, 256], b: [256, 768], transposeA: false, transposeB: false, dims: [16, 64, 768, 256] },
  { name: 'attention q·kᵀ [64,64,64]', a: [64, 64, 64], b: [64, 64, 64], transposeA: false, transposeB: true, dims: [64, 64, 64, 64] },
  { name: 'attention q·kᵀ [48,256,64]', a: [48, 256, 64], b: [48, 256, 64], transposeA: false, transposeB: true, dims: [48, 256, 256, 64] },
  { name: 'attention p·v [48,256,256]·[48,256,64]', a: [48, 256, 256], b: [48, 256, 64], transposeA: false, transposeB: false, dims: [48, 256, 64, 256] },
];

interface Variant {
  label: string;
  request: Omit<ProbeRequest, 'cases' | 'runs' | 'step'>;
  nativeThreads: number;
}

const VARIANTS: Variant[] = [
  { label: 'stock wasm 1t', request: { backend: 'wasm', threads: 1, kernelOverrides: false }, nativeThreads: 1 },
  { label: 'fixed wasm 1t', request: { backend: 'wasm', threads: 1, kernelOverrides: true }, nativeThreads: 1 },
  { label: 'fixed wasm 2t', request: { backend: 'wasm', threads: 2, kernelOverrides: true }, nativeThreads: 2 },
  { label: 'cpu (JS)', request: { backend: 'cpu', threads: 1, kernelOverrides: false }, nativeThreads: 1 },
];

function probe(request: ProbeRequest): ProbeResult {
  const script = path.join(__dirname, 'ml-matmul-probe.ts');
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', script, JSON.stringify(request)], {
    encoding: 'utf8',
    env: { ...process.env, SWC_NODE_PROJECT: process.env.SWC_NODE_PROJECT ?? path.resolve(__dirname, '../../../tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as ProbeResult;
}

async function matMulRows(options: BenchOptions): Promise<BenchRow[]> {
  const cases = options.quick ? CASES.filter((c) => !c.name.includes('[48,256,256]')) : CASES;
  const native = new Map<string, number>();
  for (const c of cases) {
    const [batch, m, n, k] = c.dims;
    for (const threads of [1, 2]) {
      try {
        native.set(`${c.name}|${threads}`, measureNativeSgemm(batch * m, n, k, threads, options.runs).gflops);
      } catch (err) {
        options.log(`native SGEMM skipped: ${(err as Error).message}`);
        break;
      }
    }
  }
  const stepBaseline = new Map<number, number>();
  for (const threads of [1, 2]) {
    try {
      stepBaseline.set(threads, measureNativeSgemm(REFERENCE_STEP.batch * REFERENCE_STEP.tokens, 4 * REFERENCE_STEP.dim, REFERENCE_STEP.dim, threads, options.runs).gflops);
    } catch {
      break;
    }
  }
  const rows: BenchRow[] = [];
  for (const c of cases) {
    for (const threads of [1, 2]) {
      const value = native.get(`${c.name}|${threads}`);
      if (value !== undefined) rows.push(threads === 1 ? { name: `matmul ${c.name} native OpenBLAS 1t`, value, unit: 'GFLOP/s' } : compared(`matmul ${c.name} native OpenBLAS 2t`, value, 'GFLOP/s', native.get(`${c.name}|1`) ?? value));
    }
  }
  for (const variant of VARIANTS) {
    // The JS backend needs ~1 s per product: fewer runs keep the benchmark short.
    const runs = variant.request.backend === 'cpu' ? Math.min(options.runs, 3) : options.runs;
    options.log(`ml bench: ${variant.label} (${runs} runs per case)`);
    // The reference training step takes ~20 s per step on the JS backend: not measured there.
    const result = probe({ ...variant.request, runs, cases, step: variant.request.backend === 'wasm' });
    for (const c of cases) {
      const value = result.gflops[c.name];
      const baseline = native.get(`${c.name}|${variant.nativeThreads}`);
      const name = `matmul ${c.name} ${variant.label}${variant.request.backend === 'wasm' ? ` (${result.threads} thr)` : ''}`;
      rows.push(baseline === undefined ? { name, value, unit: 'GFLOP/s' } : compared(name, value, 'GFLOP/s', baseline));
    }
    if (result.step) {
      const { layers, dim, tokens, batch } = REFERENCE_STEP;
      const label = `reference training step (${layers}×transformer D${dim}, ${batch}×${tokens} tokens) ${variant.label} (${result.threads} thr)`;
      rows.push({ name: `${label} time`, value: result.step.ms, unit: 'ms' });
      // Baseline: native SGEMM at the step's dominant shape (the MLP GEMM), same thread count.
      const baseline = stepBaseline.get(variant.nativeThreads);
      rows.push(baseline === undefined ? { name: label, value: result.step.gflops, unit: 'GFLOP/s' } : compared(label, result.step.gflops, 'GFLOP/s', baseline));
    }
  }
  return rows;
}

type ModelBench = (options: { runs: number; quick: boolean; log: (line: string) => void }) => Promise<BenchRow[]>;

export const benchmark: Benchmark = {
  name: 'ml',
  description: 'matMul GFLOP/s: stock vs fixed wasm (1 and 2 threads) vs cpu vs native OpenBLAS; model figures when available',
  async run(options) {
    const rows = await matMulRows(options);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ml = require('@forge/ml') as { benchmarkModels?: ModelBench; initBackend(): Promise<unknown>; shutdownBackend(): Promise<void> };
    if (typeof ml.benchmarkModels === 'function') {
      // The model figures run in this process on the fastest backend available here.
      await ml.initBackend();
      rows.push(...(await ml.benchmarkModels(options)));
      await ml.shutdownBackend();
    }
    return rows;
  },
};
