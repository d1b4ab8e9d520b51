import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openBlasCoreType, readCpuinfo } from '@forge/ml';

// The machine's native SGEMM rate (OpenBLAS through a small C program), measured in the same run
// as the tfjs figures so ratios stay meaningful on a shared machine. The program is compiled on
// first use into <repo>/.cache/native-sgemm, keyed by the source's hash.

const SOURCE = path.resolve(__dirname, '..', 'sgemm.c');
const CACHE_DIR = path.resolve(__dirname, '..', '..', '..', '.cache', 'native-sgemm');
const INCLUDE_DIRS = ['/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu', '/usr/include/openblas'];

export interface NativeSgemmResult {
  m: number;
  n: number;
  k: number;
  threads: number;
  /** Median over the runs. */
  gflops: number;
}

function unavailable(reason: string): Error {
  return Object.assign(new Error(`native SGEMM baseline unavailable: ${reason} (install OpenBLAS: apt-get install -y libopenblas-dev)`), {
    code: 'NATIVE_SGEMM_UNAVAILABLE',
  });
}

/** The native program's environment: its thread count, and the kernel family unless OPENBLAS_CORETYPE is set. */
export function nativeEnv(threads: number, env: NodeJS.ProcessEnv = process.env, cpuinfo = readCpuinfo()): NodeJS.ProcessEnv {
  const coreType = env.OPENBLAS_CORETYPE === undefined ? openBlasCoreType(cpuinfo) : undefined;
  return { ...env, OPENBLAS_NUM_THREADS: String(threads), ...(coreType ? { OPENBLAS_CORETYPE: coreType } : {}) };
}

/** Path of the compiled program, compiling it if this source has not been built yet. */
export function nativeSgemmBinary(): string {
  const source = fs.readFileSync(SOURCE);
  const binary = path.join(CACHE_DIR, `sgemm-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const includes = INCLUDE_DIRS.filter((d) => fs.existsSync(path.join(d, 'cblas.h'))).map((d) => `-I${d}`);
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O2', ...includes, SOURCE, '-o', tmp, '-lopenblas'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw unavailable(`cc failed to build ${SOURCE}${stderr ? `: ${stderr.split('\n').slice(0, 3).join(' ')}` : ''}`);
  }
  fs.renameSync(tmp, binary);
  return binary;
}

/** Measures C[M,N] = A[M,K]·B[K,N] with OpenBLAS on `threads` threads; median GFLOP/s of `runs`. */
export function measureNativeSgemm(m: number, n: number, k: number, threads: number, runs = 5): NativeSgemmResult {
  const binary = nativeSgemmBinary();
  const out = execFileSync(binary, [m, n, k, threads, runs].map(String), { encoding: 'utf8', env: nativeEnv(threads) });
  const parsed = JSON.parse(out.trim()) as NativeSgemmResult;
  return { m: parsed.m, n: parsed.n, k: parsed.k, threads: parsed.threads, gflops: parsed.gflops };
}

/** One (batched) product as the native program times it: `batch` × op(A)[M,K]·op(B)[K,N]. */
export interface NativeProduct {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** False when one A is shared by the whole batch. */
  batchedA: boolean;
  /** False when one B is shared by the whole batch. */
  batchedB: boolean;
}

/**
 * Median milliseconds of one call of each product with OpenBLAS on `threads` threads (batched
 * products loop over cblas_sgemm, as a BLAS-backed framework does), in the order given.
 */
export function measureNativeProducts(products: readonly NativeProduct[], threads: number, options: { runs?: number; minMs?: number } = {}): number[] {
  if (products.length === 0) return [];
  for (const p of products) {
    if (![p.batch, p.m, p.n, p.k].every((d) => Number.isInteger(d) && d > 0)) throw Object.assign(new Error(`measureNativeProducts: sizes must be positive integers, got ${JSON.stringify(p)}`), { code: 'INVALID_INPUT' });
  }
  const input = products.map((p) => [p.batch, p.m, p.n, p.k, +p.transposeA, +p.transposeB, +p.batchedA, +p.batchedB].join(' ')).join('\n') + '\n';
  const out = execFileSync(nativeSgemmBinary(), ['--list', String(threads), String(options.runs ?? 3), String(options.minMs ?? 20)], {
    input,
    encoding: 'utf8',
    env: nativeEnv(threads),
  });
  const lines = out.trim().split('\n');
  if (lines.length !== products.length) throw new Error(`native SGEMM printed ${lines.length} results for ${products.length} products`);
  return lines.map((l) => (JSON.parse(l) as { ms: number }).ms);
}
