import * as fs from 'node:fs';
import type { WasmModule } from './wasm-module-loader';

// The threaded wasm build hands its pthreadpool to every XNNPACK operator, so each elementwise op
// wakes the worker threads, waits for them and leaves them spinning. With a few thousand small
// ops per training step that made a DiT step 7× slower on 2 threads than on 1 on a busy
// machine. The C side reads the pool from one global (`tfjs::backend::threadpool`); pthreadpool
// runs work on the calling thread when handed NULL. So the gate keeps that global at NULL and
// puts the pool back only around work large enough to pay for the wake-up (big GEMMs).
//
// The global's address is read from the binary: the exported `get_threads_count` starts with
// `i32.const ADDRESS; i32.load` of it. The gate checks what it found (the thread count the C side
// reports must follow the pointer) and stays open (stock behaviour) when anything differs.

export interface ThreadGate {
  /** Byte address of the pool pointer in the wasm heap. */
  address: number;
  /** The pool pointer the C side created. */
  pool: number;
  threads: number;
}

function readLeb(bytes: Uint8Array, at: number, signed: boolean): { value: number; next: number } {
  let result = 0;
  let shift = 0;
  let byte: number;
  let i = at;
  do {
    if (i >= bytes.length) throw new Error('truncated LEB128 value');
    byte = bytes[i++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  if (signed && shift < 32 && byte & 0x40) result |= -1 << shift;
  return { value: signed ? result : result >>> 0, next: i };
}

/** Body bytes of an exported function of a wasm binary, or undefined. */
export function exportedFunctionBody(wasm: Uint8Array, name: string): Uint8Array | undefined {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) return undefined;
  let importedFunctions = 0;
  let exportIndex: number | undefined;
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at++];
    const { value: size, next } = readLeb(wasm, at, false);
    const start = next;
    at = start + size;
    if (id === 2) {
      // imports: count the functions (they come first in the function index space)
      const head = readLeb(wasm, start, false);
      const count = head.value;
      let p = head.next;
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) {
          const len = readLeb(wasm, p, false);
          p = len.next + len.value;
        }
        const kind = wasm[p++];
        if (kind === 0) {
          p = readLeb(wasm, p, false).next;
          importedFunctions++;
        } else if (kind === 1) {
          p++; // element type
          const flags = wasm[p++];
          p = readLeb(wasm, p, false).next;
          if (flags & 1) p = readLeb(wasm, p, false).next;
        } else if (kind === 2) {
          const flags = wasm[p++];
          p = readLeb(wasm, p, false).next;
          if (flags & 1) p = readLeb(wasm, p, false).next;
        } else if (kind === 3) {
          p += 2;
        } else return undefined;
      }
    } else if (id === 7) {
      const head = readLeb(wasm, start, false);
      const count = head.value;
      let p = head.next;
      for (let i = 0; i < count; i++) {
        const len = readLeb(wasm, p, false);
        const exportName = Buffer.from(wasm.subarray(len.next, len.next + len.value)).toString('utf8');
        p = len.next + len.value;
        const kind = wasm[p++];
        const index = readLeb(wasm, p, false);
        p = index.next;
        if (kind === 0 && exportName === name) exportIndex = index.value;
      }
    } else if (id === 10 && exportIndex !== undefined) {
      const head = readLeb(wasm, start, false);
      const count = head.value;
      let p = head.next;
      const wanted = exportIndex - importedFunctions;
      if (wanted < 0 || wanted >= count) return undefined;
      for (let i = 0; i < count; i++) {
        const len = readLeb(wasm, p, false);
        if (i === wanted) return wasm.subarray(len.next, len.next + len.value);
        p = len.next + len.value;
      }
    }
  }
  return undefined;
}

/** Address loaded by a body that begins with `i32.const A; i32.load offset=O` (after its locals). */
export function firstLoadAddress(body: Uint8Array): number | undefined {
  const head = readLeb(body, 0, false);
  const groups = head.value;
  let p = head.next;
  for (let i = 0; i < groups; i++) {
    p = readLeb(body, p, false).next;
    p++; // value type
  }
  if (body[p++] !== 0x41) return undefined; // i32.const
  const base = readLeb(body, p, true);
  p = base.next;
  if (body[p++] !== 0x28) return undefined; // i32.load
  p = readLeb(body, p, false).next; // alignment
  const offset = readLeb(body, p, false);
  return base.value + offset.value;
}

function heap32(module: WasmModule): Int32Array {
  const memory = (module as WasmModule & { wasmMemory?: WebAssembly.Memory }).wasmMemory;
  return new Int32Array(memory ? memory.buffer : module.HEAPU8.buffer);
}

/**
 * Finds the pool pointer of a started threaded module and closes the gate (the C side then runs
 * every op on the calling thread). Undefined when the binary does not look as expected.
 */
export function closeThreadGate(module: WasmModule, wasmFile: string): ThreadGate | undefined {
  const threads = module.tfjs.getThreadsCount();
  if (!(threads > 1)) return undefined;
  const body = exportedFunctionBody(new Uint8Array(fs.readFileSync(wasmFile)), 'get_threads_count');
  const address = body && firstLoadAddress(body);
  if (address === undefined || address <= 0 || address % 4 !== 0) return undefined;
  const heap = heap32(module);
  const pool = heap[address >> 2];
  if (pool === 0) return undefined;
  heap[address >> 2] = 0;
  if (module.tfjs.getThreadsCount() === threads) {
    heap[address >> 2] = pool; // not the pool after all: leave it alone
    return undefined;
  }
  heap[address >> 2] = pool;
  const confirmed = module.tfjs.getThreadsCount() === threads;
  heap[address >> 2] = 0;
  if (!confirmed) {
    heap[address >> 2] = pool;
    return undefined;
  }
  return { address, pool, threads };
}

let active: { module: WasmModule; gate: ThreadGate } | undefined;
let depth = 0;

export function setActiveThreadGate(module: WasmModule | undefined, gate: ThreadGate | undefined): void {
  active = module && gate ? { module, gate } : undefined;
  depth = 0;
}

/** Puts the pool back for good (before the module is dropped or when the gate is not wanted). */
export function openThreadGate(): void {
  if (active) heap32(active.module)[active.gate.address >> 2] = active.gate.pool;
  active = undefined;
}

/** Threads `parallel` work gets (1 when the backend runs single-threaded). */
export function gatedThreads(): number {
  return active ? active.gate.threads : 1;
}

/** Runs `fn` with the C side's thread pool available (a no-op without a gate). */
export function parallel<T>(fn: () => T): T {
  if (!active || depth > 0) return fn();
  const { module, gate } = active;
  const slot = gate.address >> 2;
  heap32(module)[slot] = gate.pool;
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    heap32(module)[slot] = 0;
  }
}
