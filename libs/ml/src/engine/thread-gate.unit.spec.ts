import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { activeWasmModule, backendInfo, initBackend, shutdownBackend } from './backend';
import { exportedFunctionBody, firstLoadAddress, gatedThreads, parallel } from './thread-gate';
import { relativeError, seededValues, valuesOn } from './testing';

const twoCores = os.cpus().length >= 2;

describe('thread gate', () => {
  afterEach(async () => {
    await shutdownBackend();
  });

  it('reads the address a function body loads first', () => {
    // (func (result i32) (local i32) i32.const 23564; i32.load offset=4; ...)
    const body = Uint8Array.from([0x01, 0x01, 0x7f, 0x41, 0x8c, 0xb8, 0x01, 0x28, 0x02, 0x04, 0x0b]);
    expect(firstLoadAddress(body)).toBe(23564 + 4);
    expect(firstLoadAddress(Uint8Array.from([0x00, 0x20, 0x00, 0x0b]))).toBeUndefined();
    expect(exportedFunctionBody(Uint8Array.from([1, 2, 3]), 'x')).toBeUndefined();
  });

  (twoCores ? it : it.skip)('keeps the pool closed except inside parallel(), and large products stay exact', async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 2, log: () => undefined });
    expect(info.version).toMatch(/threads for large products/);
    expect(backendInfo().threads).toBe(2);
    const module = activeWasmModule();
    if (!module) throw new Error('no wasm module');
    expect(gatedThreads()).toBe(2);
    expect(module.tfjs.getThreadsCount()).not.toBe(2);
    expect(parallel(() => module.tfjs.getThreadsCount())).toBe(2);
    expect(module.tfjs.getThreadsCount()).not.toBe(2);
    // 512·256·256 multiply-adds: large enough for our GEMM to open the pool.
    const a = seededValues(512 * 256, 1);
    const b = seededValues(256 * 256, 2);
    const product = () => tf.matMul(tf.tensor2d(a, [512, 256]), tf.tensor2d(b, [256, 256]));
    const [expected] = await valuesOn('cpu', product);
    const [actual] = await valuesOn('wasm', product);
    expect(relativeError(actual, expected)).toBeLessThan(1e-5);
  });

  (twoCores ? it : it.skip)('lets every op use the pool when the gate is off', async () => {
    const info = await initBackend({ prefer: 'wasm', threads: 2, gateThreads: false, log: () => undefined });
    expect(info.version).toMatch(/threads for every op/);
    expect(activeWasmModule()?.tfjs.getThreadsCount()).toBe(2);
    expect(gatedThreads()).toBe(1);
  });
});
