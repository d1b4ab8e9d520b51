import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, shutdownBackend } from './backend';

describe('initBackend', () => {
  afterEach(async () => {
    await shutdownBackend();
  });

  it('falls through tfjs-node (not installed here) to wasm and logs the choice', async () => {
    const lines: string[] = [];
    const info = await initBackend({ log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.version).toMatch(/tfjs-backend-wasm@4\.22\.0 .*kernel overrides/);
    expect(lines).toEqual([expect.stringMatching(/^ml backend: wasm .*thread/)]);
    expect(backendInfo()).toEqual(info);
  });

  it('refuses a forced tensorflow backend when tfjs-node is missing', async () => {
    await expect(initBackend({ prefer: 'tensorflow', log: () => undefined })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(() => backendInfo()).toThrow(/not initialised/);
  });

  it('starts again after shutdown, with the requested thread count', async () => {
    await initBackend({ prefer: 'wasm', threads: 2, log: () => undefined });
    await shutdownBackend();
    expect(tf.findBackend('wasm')).toBeFalsy();
    const info = await initBackend({ prefer: 'wasm', threads: 1, log: () => undefined });
    expect(info.threads).toBe(1);
    expect(tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]).toBe(6);
  });

  it('runs the plain JS backend when asked', async () => {
    const info = await initBackend({ prefer: 'cpu', log: () => undefined });
    expect(info).toMatchObject({ name: 'cpu', threads: 1 });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('lets the process exit with worker threads running and no shutdown', () => {
    const backendModule = path.join(__dirname, 'backend.ts');
    const script = `require(${JSON.stringify(backendModule)}).initBackend({ prefer: 'wasm', threads: 2, log: () => undefined })
      .then((info) => { const tf = require('@tensorflow/tfjs-core'); tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync(); console.log(JSON.stringify(info)); });`;
    const child = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SWC_NODE_PROJECT: path.resolve(__dirname, '../../../../tsconfig.base.json') },
    });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout.trim())).toMatchObject({ name: 'wasm', threads: Math.min(2, os.cpus().length) });
  });
});
