import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { measureNativeSgemm } from '@forge/native-sgemm';
import type { NativeGemmChoice } from '@forge/ml';
import { Benchmark, BenchOptions, BenchRow, compared, median } from './harness';
import { REFERENCE_STEP, referenceStepFlops, type MatMulCase, type ProbeRequest, type ProbeResult } from './ml-matmul-probe';
import type { StepModel, StepProbeRequest, StepProbeResult } from './ml-step-probe';
import { fusedKernelRows } from './ml-fused';
import { onnxSamplingRows } from './ml-onnx';

// matMul GFLOP/s of our fixed wasm backend (1 and 2 threads) against stock wasm, the plain JS
// cpu backend and native OpenBLAS SGEMM, all measured in this run. Ratios are ours / native at
// the same thread count; batched products are compared with one native GEMM of the same
// (batch·M) × N × K.
//
// Training steps of the loop's demo models (DiT generator, ViT selector) on the production backend
// configuration, each run paired with the native time of the same step's matrix products
// (ml-native-step.ts); the ratio is the median of the per-run ratios. A kernel profile of the step
// says where the rest goes.
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
  { label: 'stock wasm 1t', request: { backend: 'wasm', threads: 1, kernelOverrides: false, gemm: 'wasm' }, nativeThreads: 1 },
  { label: 'fixed wasm 1t', request: { backend: 'wasm', threads: 1, kernelOverrides: true, gemm: 'wasm' }, nativeThreads: 1 },
  { label: 'fixed wasm 2t', request: { backend: 'wasm', threads: 2, kernelOverrides: true, gemm: 'wasm' }, nativeThreads: 2 },
  { label: 'wasm + onnxruntime GEMM 2t', request: { backend: 'wasm', threads: 2, kernelOverrides: true, gemm: 'onnxruntime' }, nativeThreads: 2 },
  // The production default when OpenBLAS is installed: products on it, in place on the wasm heap.
  { label: 'wasm + OpenBLAS GEMM 2t', request: { backend: 'wasm', threads: 2, kernelOverrides: true, gemm: 'openblas' }, nativeThreads: 2 },
  { label: 'cpu (JS)', request: { backend: 'cpu', threads: 1, kernelOverrides: false, gemm: 'wasm' }, nativeThreads: 1 },
];

function runChild<T>(file: string, request: unknown): T {
  const script = path.join(__dirname, file);
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', script, JSON.stringify(request)], {
    encoding: 'utf8',
    env: { ...process.env, SWC_NODE_PROJECT: process.env.SWC_NODE_PROJECT ?? path.resolve(__dirname, '../../../tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

const probe = (request: ProbeRequest) => runChild<ProbeResult>('ml-matmul-probe.ts', request);

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
    let result: ProbeResult;
    try {
      result = probe({ ...variant.request, runs, cases, step: variant.request.backend === 'wasm' });
    } catch (err) {
      options.log(`ml bench: ${variant.label} skipped: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
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
      // Baseline: the step's own products on OpenBLAS (best of 1 and 2 threads), paired run by run.
      const flops = referenceStepFlops();
      const nativeMs = median(result.step.pairs.map((p) => p.nativeMs));
      const ratio = median(result.step.pairs.map((p) => p.nativeMs / p.wasmMs));
      rows.push({ name: `${label} vs its products on native OpenBLAS`, value: result.step.gflops, unit: 'GFLOP/s', baseline: flops / (nativeMs * 1e6), ratio });
    }
  }
  return rows;
}

const STEP_MODELS: StepModel[] = ['dit-demo', 'vit-demo'];
const STEP_GEMMS: NativeGemmChoice[] = ['wasm', 'onnxruntime', 'openblas'];
const GEMM_LABELS: Record<NativeGemmChoice, string> = { auto: '', wasm: '', onnxruntime: ' + onnxruntime GEMM', openblas: ' + OpenBLAS GEMM' };
/** Kernels listed per step besides the totals. */
const TOP_KERNELS = 6;

function defaultThreads(): number {
  const raw = process.env.FORGE_ML_THREADS;
  return raw ? Number(raw) : 2;
}

async function trainingStepRows(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [model, gemm] of STEP_MODELS.flatMap((m) => STEP_GEMMS.map((g) => [m, g] as const))) {
    const request: StepProbeRequest = { model, threads: defaultThreads(), gemm, runs: options.runs, steps: options.quick ? 10 : 20 };
    options.log(`ml bench: training step ${model}${GEMM_LABELS[gemm]} (${request.runs} runs of ${request.steps} steps, each paired with native)`);
    let result: StepProbeResult;
    try {
      result = runChild<StepProbeResult>('ml-step-probe.ts', request);
    } catch (err) {
      options.log(`training step ${model}${GEMM_LABELS[gemm]} skipped: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const label = `training step ${result.label}, wasm ${result.threads}t${GEMM_LABELS[gemm]}`;
    const wasmMs = median(result.runs.map((r) => r.wasmMs));
    const nativeMs = median(result.runs.map((r) => r.nativeMs));
    const ratio = median(result.runs.map((r) => r.nativeMs / r.wasmMs));
    rows.push({ name: `${label} vs native products`, value: 1000 / wasmMs, unit: 'steps/s', baseline: 1000 / nativeMs, ratio });
    rows.push({ name: `${label} vs native products on 2 threads only`, value: 1000 / wasmMs, unit: 'steps/s', baseline: 1000 / median(result.runs.map((r) => r.native2Ms)), ratio: median(result.runs.map((r) => r.native2Ms / r.wasmMs)) });
    const p = result.profile;
    rows.push({ name: `${label} profiled: kernel calls per step`, value: p.kernelCalls, unit: 'calls' });
    rows.push({ name: `${label} profiled: matMul share (${(p.matMulFlops / (p.matMulMs * 1e6)).toFixed(1)} GFLOP/s)`, value: (100 * p.matMulMs) / p.stepMs, unit: '% of step' });
    rows.push({ name: `${label} profiled: outside kernels (tfjs bookkeeping)`, value: (100 * (p.stepMs - p.kernelMs)) / p.stepMs, unit: '% of step' });
    for (const k of p.kernels.slice(0, TOP_KERNELS)) {
      rows.push({ name: `${label} profiled: ${k.name} (${k.calls} calls, ${k.rate.toFixed(1)} ${k.rateUnit})`, value: (100 * k.ms) / p.stepMs, unit: '% of step' });
    }
  }
  return rows;
}

type ModelBench = (options: { runs: number; quick: boolean; log: (line: string) => void }) => Promise<BenchRow[]>;

export const benchmark: Benchmark = {
  name: 'ml',
  description: 'matMul GFLOP/s: stock vs fixed wasm (1 and 2 threads) vs cpu vs native OpenBLAS; demo DiT/ViT training steps vs their products on native; fused layer kernels vs tfjs ops; model figures',
  async run(options) {
    const rows = [...(await matMulRows(options)), ...(await trainingStepRows(options)), ...(await fusedKernelRows(options))];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ml = require('@forge/ml') as { benchmarkModels?: ModelBench; initBackend(): Promise<unknown>; shutdownBackend(): Promise<void> };
    if (typeof ml.benchmarkModels === 'function') {
      // The model figures run in this process on the fastest backend available here.
      await ml.initBackend();
      rows.push(...(await ml.benchmarkModels(options)));
      await ml.shutdownBackend();
    }
    rows.push(...(await onnxSamplingRows(options)));
    return rows;
  },
};
