import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmModule } from '../wasm-module-loader';
import { CONTROL_SLOTS, ROWS_PER_BLOCK, SimdGemm, simdGemmFor, simdGemmModuleBytes, SLOT } from './simd-gemm';
import { moduleOf } from './wasm-heap';

// Our SIMD product on two threads: the calling thread and one worker share the backend's memory
// and claim blocks of rows from an atomic counter (simd-gemm.ts `gemmWork`). The caller never
// waits for the worker to start: on a busy machine a descheduled worker simply claims nothing and
// the caller does every block (XNNPACK's pool splits work statically and waits for each thread,
// which made small products many times slower there). The caller waits only for a block the
// worker has already claimed.
//
// Protocol on the control block: the caller writes the job, sets STATE = 1 (open) and bumps GEN;
// the worker joins with STATE 1 → 2, runs gemmWork and sets LEFT. After its own gemmWork the
// caller closes with STATE 1 → 0; if the worker had joined (2), it waits for LEFT first.

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, bytes, ctrl, slot } = workerData;
const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const heap = new Int32Array(memory.buffer);
const base = ctrl >> 2;
let seen = Atomics.load(heap, base + slot.GEN);
for (;;) {
  Atomics.wait(heap, base + slot.GEN, seen);
  seen = Atomics.load(heap, base + slot.GEN);
  if (Atomics.compareExchange(heap, base + slot.STATE, 1, 2) === 1) {
    kernel.gemmWork(ctrl);
    Atomics.store(heap, base + slot.LEFT, 1);
  }
}
`;

interface Team {
  /** Products run (or offered) so far, and the count before which the team sits out. */
  products: number;
  pausedUntil: number;
  kernel: SimdGemm;
  /** Byte address of the control block. */
  ctrl: number;
  /** View of the control block's memory (it sits low in the heap, so growth never moves it). */
  heap: Int32Array;
  worker: Worker;
}

const teams = new Map<WasmModule, Team | null>();

/** The two-thread team for the backend's module, when its memory is shared; created on first use. */
export function gemmTeamFor(backend: BackendWasm): Team | undefined {
  const module = moduleOf(backend) as WasmModule & { wasmMemory?: WebAssembly.Memory };
  const known = teams.get(module);
  if (known !== undefined) return known ?? undefined;
  let team: Team | null = null;
  const kernel = simdGemmFor(backend);
  const memory = module.wasmMemory;
  if (kernel && memory && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) {
    const ctrl = module._malloc(CONTROL_SLOTS * 4);
    const heap = new Int32Array(memory.buffer);
    heap.fill(0, ctrl >> 2, (ctrl >> 2) + CONTROL_SLOTS);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, bytes: simdGemmModuleBytes(true), ctrl, slot: SLOT } });
    worker.unref();
    team = { products: 0, pausedUntil: 0, kernel, ctrl, heap, worker };
  }
  teams.set(module, team);
  return team ?? undefined;
}

/**
 * A worker descheduled in the middle of a block makes the caller wait for it (once the worker has
 * claimed a block, the caller must not return before it is written). When that wait is longer
 * than the caller's own share of the work, the team sits out the next PAUSE_PRODUCTS products.
 */
const PAUSE_PRODUCTS = 200;
/** Waits shorter than this never count as a stall. */
const STALL_MIN_MS = 0.2;

/** Whether the team should take this product (false while it sits out after a stall). */
export function teamReady(team: Team): boolean {
  team.products++;
  return team.products >= team.pausedUntil;
}

/** Stops every team's worker (the backend is going away). */
export function stopGemmTeams(): void {
  for (const team of teams.values()) void team?.worker.terminate();
  teams.clear();
}

export interface SharedProduct {
  a: number;
  b: number;
  c: number;
  batch: number;
  sa: number;
  sb: number;
  sc: number;
  m: number;
  n: number;
  k: number;
  ars: number;
  acs: number;
  ldb: number;
  ldc: number;
}

/** Runs `batch` products C = op(A)·B (B row-major [K, N]) on the caller and the worker. */
export function runOnTeam(team: Team, p: SharedProduct): void {
  const { heap, ctrl } = team;
  const base = ctrl >> 2;
  const rowBlocks = Math.ceil(p.m / ROWS_PER_BLOCK);
  const values: [keyof typeof SLOT, number][] = [
    ['A', p.a], ['B', p.b], ['C', p.c], ['BATCH', p.batch], ['SA', p.sa], ['SB', p.sb], ['SC', p.sc], ['M', p.m], ['N', p.n], ['K', p.k],
    ['ARS', p.ars], ['ACS', p.acs], ['LDB', p.ldb], ['LDC', p.ldc], ['RB', rowBlocks], ['TOTAL', p.batch * rowBlocks], ['NEXT', 0], ['LEFT', 0],
  ];
  for (const [name, value] of values) heap[base + SLOT[name]] = value;
  Atomics.store(heap, base + SLOT.STATE, 1);
  Atomics.add(heap, base + SLOT.GEN, 1);
  Atomics.notify(heap, base + SLOT.GEN, 1);
  const start = performance.now();
  team.kernel.gemmWork(ctrl);
  if (Atomics.compareExchange(heap, base + SLOT.STATE, 1, 0) === 2) {
    // The worker is inside gemmWork: at most one block to wait for.
    const own = performance.now();
    while (Atomics.load(heap, base + SLOT.LEFT) === 0) {
      /* spin */
    }
    Atomics.store(heap, base + SLOT.STATE, 0);
    const waited = performance.now() - own;
    if (waited > Math.max(STALL_MIN_MS, own - start)) team.pausedUntil = team.products + PAUSE_PRODUCTS;
  }
}
