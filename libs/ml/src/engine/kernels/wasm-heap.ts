import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmModule } from '../wasm-module-loader';

// Low-level access to the wasm backend's heap and C API for our kernel overrides.
// These touch package internals (`dataIdMap`, `dataIdNextNumber`, C function names),
// which is why @tensorflow/tfjs-backend-wasm is pinned and every override has a parity test.

export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
}

export function moduleOf(backend: BackendWasm): WasmModule {
  return backend.wasm as unknown as WasmModule;
}

export function dataOf(backend: BackendWasm, t: TensorInfo): WasmTensorData {
  return backend.dataIdMap.get(t.dataId) as WasmTensorData;
}

/** Where a float32 tensor starts on the heap, in floats (an offset into heapAllF32). */
export function floatOffset(backend: BackendWasm, t: TensorInfo): number {
  return dataOf(backend, t).memoryOffset >> 2;
}

/** A Float32Array over `length` floats at `byteOffset`. Built from the live memory: it can grow. */
export function heapF32(backend: BackendWasm, byteOffset: number, length: number): Float32Array {
  const module = moduleOf(backend) as WasmModule & { wasmMemory?: WebAssembly.Memory };
  const buffer = module.wasmMemory ? module.wasmMemory.buffer : module.HEAPU8.buffer;
  return new Float32Array(buffer, byteOffset, length);
}

/** The whole heap as floats (for copies between tensors). */
export function heapAllF32(backend: BackendWasm): Float32Array {
  const module = moduleOf(backend) as WasmModule & { wasmMemory?: WebAssembly.Memory };
  const buffer = module.wasmMemory ? module.wasmMemory.buffer : module.HEAPU8.buffer;
  return new Float32Array(buffer);
}

/**
 * Registers a temporary C-side tensor id that aliases `size` floats at `byteOffset` (no copy).
 * Dispose it with `releaseAlias`: that also drops any operator the C side cached for the id.
 */
export function aliasId(backend: BackendWasm, byteOffset: number, size: number): number {
  const internals = backend as unknown as { dataIdNextNumber: number };
  const id = internals.dataIdNextNumber++;
  moduleOf(backend).tfjs.registerTensor(id, size, byteOffset);
  return id;
}

export function releaseAlias(backend: BackendWasm, id: number): void {
  moduleOf(backend).tfjs.disposeData(id);
}

/**
 * Drops whatever the C side cached for a tensor id (packed GEMM weights, conv filters) by
 * unregistering and re-registering the same memory under the same id.
 */
export function forgetCachedOperators(backend: BackendWasm, data: WasmTensorData, size: number): void {
  const tfjs = moduleOf(backend).tfjs;
  tfjs.disposeData(data.id);
  tfjs.registerTensor(data.id, size, data.memoryOffset);
}

type CFunction = (...args: any[]) => any;
const cFunctions = new WeakMap<object, Map<string, CFunction>>();

/** A cwrap'ed C function of the backend's module, created once per module. */
export function cFunction(backend: BackendWasm, name: string, argTypes: string[]): CFunction {
  const module = moduleOf(backend);
  let fns = cFunctions.get(module);
  if (!fns) {
    fns = new Map();
    cFunctions.set(module, fns);
  }
  let fn = fns.get(name);
  if (!fn) {
    fn = module.cwrap(name, null, argTypes);
    fns.set(name, fn);
  }
  return fn;
}

export function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

export function sizeOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
