import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmModule } from '../wasm-module-loader';
import { assemble, FunctionDef } from './wasm-asm';
import { moduleOf } from './wasm-heap';

/**
 * A getter for one of our kernel modules instantiated on a backend's memory (shared when the
 * threaded build's is), built once per backend module; undefined when that is not possible (no
 * SIMD, no reachable memory), so callers fall back to their JS loops.
 */
export function kernelModule<T>(functions: FunctionDef[]): (backend: BackendWasm) => T | undefined {
  const instances = new WeakMap<object, T | null>();
  return (backend) => {
    const module = moduleOf(backend) as WasmModule & { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
    const cached = instances.get(module);
    if (cached !== undefined) return cached ?? undefined;
    let instance: T | null = null;
    try {
      // The threaded build keeps its memory on the module; the single-threaded one exports it.
      const memory = module.wasmMemory ?? module.asm?.memory;
      if (memory) {
        const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
        instance = new WebAssembly.Instance(new WebAssembly.Module(assemble(functions, shared)), { env: { memory } }).exports as unknown as T;
      }
    } catch {
      instance = null;
    }
    instances.set(module, instance);
    return instance ?? undefined;
  };
}
