import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCpuinfo } from '../openblas-core';

// Kernels in C (libs/ml/native/forge-kernels.c), compiled on first use with the machine's C
// compiler for its own CPU and called through koffi on the wasm heap in place. WebAssembly SIMD
// has 128-bit lanes and no fused multiply-add; `cc -O3 -march=native` vectorises the same loops
// for AVX2/AVX-512 FMA. Used where a kernel is many small steps (attention: per head two or four
// small products and a softmax, ~2,300 BLAS calls a demo training step otherwise). Without a
// compiler or koffi everything stays on the wasm kernels, with the reason logged.

export const NATIVE_KERNELS_SOURCE = path.resolve(__dirname, '..', '..', '..', 'native', 'forge-kernels.c');
/** Build cache next to the native SGEMM baseline's (git-ignored); keyed by source, flags and CPU. */
export const NATIVE_KERNELS_CACHE = path.resolve(__dirname, '..', '..', '..', '..', '..', '.cache', 'forge-kernels');
/** `-fopenmp-simd`: the `omp simd` reductions vectorise without -ffast-math (which would break exp's rounding trick). */
const CC_FLAGS = ['-O3', '-march=native', '-fno-math-errno', '-fopenmp-simd', '-shared', '-fPIC'];

/** `FORGE_ML_NATIVE_KERNELS`: `auto` compiles and uses them when it can, `off` never. */
export type NativeKernelsChoice = 'auto' | 'off';

export function nativeKernelsChoice(raw = process.env.FORGE_ML_NATIVE_KERNELS): NativeKernelsChoice {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'off') return 'off';
  throw Object.assign(new Error(`FORGE_ML_NATIVE_KERNELS must be 'auto' or 'off', got '${raw}'`), { code: 'INVALID_CONFIG' });
}

export interface NativeKernels {
  /** e.g. `gcc 12.2.0 -O3 -march=native`. */
  name: string;
  /** Offsets in floats of `heap`; bias < 0 when nothing is masked, else one row of Tk per sample. */
  attentionForward(heap: Float32Array, b: number, h: number, tq: number, tk: number, d: number, scale: number, q: number, k: number, v: number, bias: number, probs: number, out: number): void;
  attentionBackward(heap: Float32Array, b: number, h: number, tq: number, tk: number, d: number, scale: number, dy: number, q: number, k: number, v: number, probs: number, dq: number, dk: number, dv: number): void;
  /** y = x·σ(k·x) over n floats. */
  sigmoidLinear(heap: Float32Array, x: number, y: number, n: number, k: number): void;
  /** dx = dy·(σ + k·x·σ·(1 − σ)) over n floats. */
  sigmoidLinearGrad(heap: Float32Array, dy: number, x: number, dx: number, n: number, k: number): void;
  /** fused-norm.ts's forward: rows of dim, shift and scale per group of perGroup rows. */
  normAffine(heap: Float32Array, x: number, shift: number, scale: number, y: number, rows: number, dim: number, perGroup: number, offset: number, eps: number): void;
  /** Its gradient; dshift and dscale are written whole. */
  normAffineGrad(heap: Float32Array, dy: number, x: number, scale: number, dx: number, dshift: number, dscale: number, rows: number, dim: number, perGroup: number, offset: number, eps: number): void;
  /** out[r·cols + c] = a[r·aRow + c·aCol] ∘ b[r·bRow + c·bCol] (column strides 0 or 1), ∘ = BINARY_OPS[op]. */
  binary(heap: Float32Array, op: number, a: number, aRow: number, aCol: number, b: number, bRow: number, bCol: number, out: number, rows: number, cols: number): void;
  /** y = σ(x) over n floats. */
  sigmoid(heap: Float32Array, x: number, y: number, n: number): void;
  /** out[o, i] = scale · Σ_r x[o, r, i] over an (outer, reduced, inner) view. */
  reduce(heap: Float32Array, x: number, out: number, outer: number, reduced: number, inner: number, scale: number): void;
  /** Clipped Adam(W) over every variable (offsets of p, g, m, v, p', m', v' per variable); returns the gradient norm before clipping. */
  adam(heap: Float32Array, at: Int32Array, sizes: Int32Array, keep: Float32Array, count: number, clipNorm: number, beta1: number, beta2: number, lrOverC1: number, invC2: number, eps: number): number;
  /** out = e·decay + s·(1 − decay) per tensor (offsets of e, s, out per tensor). */
  ema(heap: Float32Array, at: Int32Array, sizes: Int32Array, count: number, decay: number): void;
}

/** forge_binary's operation codes, in the order of its enum. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;

interface KoffiLibrary {
  /** koffi checks the arguments against the signature. */
  func(signature: string): (...args: any[]) => number;
}

export interface NativeKernelsBuild {
  /** The C compiler; default `cc`. */
  compiler?: string;
  source?: string;
  cacheDir?: string;
}

function compilerVersion(compiler: string): string {
  let out: string;
  try {
    out = execFileSync(compiler, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    throw new Error(`no C compiler: '${compiler} --version' failed (${(err as Error).message.split('\n')[0]})`);
  }
  const first = out.split('\n')[0];
  const gcc = /^(?:cc|gcc)\b.*?(\d+\.\d+\.\d+)\s*$/.exec(first);
  return gcc ? `gcc ${gcc[1]}` : first.trim();
}

/** The shared library for this source, compiler and CPU, compiled unless already cached. */
export function nativeKernelsLibrary(build: NativeKernelsBuild = {}): { file: string; compiler: string } {
  const compiler = build.compiler ?? 'cc';
  const sourceFile = build.source ?? NATIVE_KERNELS_SOURCE;
  const source = fs.readFileSync(sourceFile);
  const version = compilerVersion(compiler);
  const cpuFlags = readCpuinfo().split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
  const key = createHash('sha256').update(source).update(version).update(CC_FLAGS.join(' ')).update(cpuFlags).digest('hex').slice(0, 16);
  const dir = build.cacheDir ?? NATIVE_KERNELS_CACHE;
  const file = path.join(dir, `forge-kernels-${key}.so`);
  const name = `${version} ${CC_FLAGS.slice(0, 2).join(' ')}`;
  if (fs.existsSync(file)) return { file, compiler: name };
  fs.mkdirSync(dir, { recursive: true });
  // Written under a private name and renamed: processes starting together each get a whole file.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    execFileSync(compiler, [...CC_FLAGS, sourceFile, '-o', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`${compiler} could not build ${path.basename(sourceFile)}${stderr ? `: ${stderr.split('\n').slice(0, 3).join(' ')}` : ''}`);
  }
  return { file, compiler: name };
}

function bind(library: KoffiLibrary, name: string): NativeKernels {
  const forward = library.func('int forge_attention_forward(float *heap, int b, int h, int tq, int tk, int d, float scale, int q, int k, int v, int bias, int probs, int out)');
  const backward = library.func('int forge_attention_backward(float *heap, int b, int h, int tq, int tk, int d, float scale, int dy, int q, int k, int v, int probs, int dq, int dk, int dv)');
  const binary = library.func('int forge_binary(float *heap, int op, int a, int aRow, int aCol, int b, int bRow, int bCol, int out, int rows, int cols)');
  const check = (status: number, kernel: string) => {
    if (status !== 0) throw new Error(`native ${kernel} could not allocate its scratch memory`);
  };
  return {
    name,
    sigmoidLinear: library.func('void forge_sigmoid_linear(float *heap, int x, int y, int n, float k)') as NativeKernels['sigmoidLinear'],
    sigmoidLinearGrad: library.func('void forge_sigmoid_linear_grad(float *heap, int dy, int x, int dx, int n, float k)') as NativeKernels['sigmoidLinearGrad'],
    normAffine: library.func('void forge_norm_affine(float *heap, int x, int shift, int scale, int y, int rows, int dim, int perGroup, float offset, float eps)') as NativeKernels['normAffine'],
    normAffineGrad: library.func('void forge_norm_affine_grad(float *heap, int dy, int x, int scale, int dx, int dshift, int dscale, int rows, int dim, int perGroup, float offset, float eps)') as NativeKernels['normAffineGrad'],
    sigmoid: library.func('void forge_sigmoid(float *heap, int x, int y, int n)') as NativeKernels['sigmoid'],
    reduce: library.func('void forge_reduce(float *heap, int x, int out, int outer, int reduced, int inner, float scale)') as NativeKernels['reduce'],
    adam: library.func('double forge_adam(float *heap, const int *at, const int *sizes, const float *keep, int count, float clipNorm, float beta1, float beta2, float lrOverC1, float invC2, float eps)') as NativeKernels['adam'],
    ema: library.func('void forge_ema(float *heap, const int *at, const int *sizes, int count, float decay)') as NativeKernels['ema'],
    binary: (heap, op, ...rest) => {
      if (binary(heap, op, ...rest) !== 0) throw new Error(`native binary kernel: unknown operation ${op} or column stride not 0 or 1`);
    },
    attentionForward: (...args) => check(forward(...args), 'attention'),
    attentionBackward: (...args) => check(backward(...args), 'attention gradient'),
  };
}

let active: NativeKernels | undefined;

/**
 * Compiles (once per source and machine) and loads the native kernels; undefined with the reason
 * when there is no compiler, no koffi, or the choice is `off`.
 */
export function startNativeKernels(choice: NativeKernelsChoice, build: NativeKernelsBuild = {}): { kernels?: NativeKernels; reason?: string } {
  active = undefined;
  if (choice === 'off') return { reason: 'FORGE_ML_NATIVE_KERNELS=off' };
  const loaded = loadNativeKernels(build);
  active = loaded.kernels;
  return loaded;
}

/** Builds (or finds cached) and binds the kernels without making them the active ones. */
export function loadNativeKernels(build: NativeKernelsBuild = {}): { kernels?: NativeKernels; reason?: string } {
  let koffi: { load(file: string): KoffiLibrary };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    koffi = require('koffi');
  } catch (err) {
    return { reason: `koffi not available (${(err as Error).message.split('\n')[0]})` };
  }
  try {
    const { file, compiler } = nativeKernelsLibrary(build);
    return { kernels: bind(koffi.load(file), compiler) };
  } catch (err) {
    return { reason: (err as Error).message.split('\n')[0] };
  }
}

export function activeNativeKernels(): NativeKernels | undefined {
  return active;
}

/** The loaded kernels when `backend` keeps its tensors on the wasm heap (they work in place there). */
export function nativeKernelsOn(backend: unknown): NativeKernels | undefined {
  return (backend as { wasm?: unknown }).wasm ? active : undefined;
}

export function stopNativeKernels(): void {
  active = undefined;
}
