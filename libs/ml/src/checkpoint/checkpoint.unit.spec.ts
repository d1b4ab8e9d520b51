import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CheckpointDescription, CheckpointIntegrityError, loadCheckpoint, MANIFEST_FILE, readCheckpointManifest, saveCheckpoint, WEIGHTS_FILE } from './index';

const description: CheckpointDescription = {
  modelKind: 'selector',
  version: 'selector-2',
  architecture: { preset: 'tiny', dim: 16, heads: 2, layers: 1 },
  parentVersion: 'selector-1',
  lineage: { dataUpToPosition: 1234, ratings: 57 },
  backend: { name: 'cpu', threads: 1 },
  seed: 42,
  metrics: { spearman: 0.81, ece: 0.04 },
  createdAt: '2026-01-02T03:04:05.000Z',
};

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-checkpoint-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function weights(): tf.NamedTensorMap {
  // Awkward float bit patterns on purpose: -0, a subnormal, a NaN with payload, infinities.
  const special = new Float32Array(6);
  const bits = new Uint32Array(special.buffer);
  bits.set([0x80000000, 0x00000001, 0x7fc01234, 0x7f800000, 0xff800000, 0x3eaaaaab]);
  return {
    'block0/attention/wq': tf.tensor(Float32Array.from({ length: 35 }, (_, i) => Math.sin(i) * 1e-3), [5, 7]),
    'block0/bias': tf.tensor(special, [6]),
    'embedding/ids': tf.tensor([1, -2, 2147483647], [3], 'int32'),
    mask: tf.tensor([true, false, true], [3], 'bool'),
    scalar: tf.scalar(3.25),
    empty: tf.zeros([0, 4]),
  };
}

function bitsOf(t: tf.Tensor): number[] {
  const v = t.dataSync();
  return t.dtype === 'float32' ? Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)) : Array.from(v as ArrayLike<number>);
}

function expectInvalid(action: () => unknown, file: string, reason: RegExp): void {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointIntegrityError);
    expect((err as CheckpointIntegrityError).code).toBe('CHECKPOINT_INVALID');
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(reason);
    return;
  }
  throw new Error('expected CheckpointIntegrityError');
}

describe('checkpoints', () => {
  it('round-trips weights bit for bit with the manifest', async () => {
    const original = weights();
    const manifest = await saveCheckpoint(dir, original, description);
    const { manifest: read, weights: loaded } = loadCheckpoint(dir);
    expect(read).toEqual(manifest);
    expect(read).toMatchObject({ ...description, formatVersion: 1, weightsFile: WEIGHTS_FILE });
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(original).sort());
    for (const name of Object.keys(original)) {
      expect(loaded[name].shape).toEqual(original[name].shape);
      expect(loaded[name].dtype).toBe(original[name].dtype);
      expect(bitsOf(loaded[name])).toEqual(bitsOf(original[name]));
    }
    tf.dispose([original, loaded]);
  });

  it('records layout and sha256 of the weights file', async () => {
    const original = weights();
    const manifest = await saveCheckpoint(dir, original, description);
    const blob = fs.readFileSync(path.join(dir, WEIGHTS_FILE));
    expect(manifest.weightsByteLength).toBe(blob.byteLength);
    expect(manifest.weightsSha256).toBe(createHash('sha256').update(blob).digest('hex'));
    expect(manifest.weights.map((w) => w.name)).toEqual([...Object.keys(original)].sort());
    expect(manifest.weights.find((w) => w.name === 'block0/attention/wq')).toMatchObject({ shape: [5, 7], dtype: 'float32', byteLength: 140 });
    tf.dispose(original);
  });

  it('refuses a truncated weights file', async () => {
    await saveCheckpoint(dir, weights(), description);
    const file = path.join(dir, WEIGHTS_FILE);
    fs.truncateSync(file, fs.statSync(file).size - 3);
    expectInvalid(() => loadCheckpoint(dir), file, /truncated/);
  });

  it('refuses a weights file with one byte changed', async () => {
    await saveCheckpoint(dir, weights(), description);
    const file = path.join(dir, WEIGHTS_FILE);
    const blob = fs.readFileSync(file);
    blob[10] ^= 0x01;
    fs.writeFileSync(file, blob);
    expectInvalid(() => loadCheckpoint(dir), file, /sha256 .* does not match/);
  });

  it('refuses a manifest whose layout was edited', async () => {
    await saveCheckpoint(dir, weights(), description);
    const file = path.join(dir, MANIFEST_FILE);
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    manifest.weights[0].shape = [7, 7];
    fs.writeFileSync(file, JSON.stringify(manifest));
    expectInvalid(() => loadCheckpoint(dir), file, /byteLength .* does not match shape/);
  });

  it('refuses a missing or malformed manifest', async () => {
    const file = path.join(dir, MANIFEST_FILE);
    expectInvalid(() => readCheckpointManifest(dir), file, /cannot be read \(ENOENT\)/);
    fs.writeFileSync(file, '{"formatVersion": 1,');
    expectInvalid(() => readCheckpointManifest(dir), file, /not valid JSON/);
    fs.writeFileSync(file, JSON.stringify({ formatVersion: 99 }));
    expectInvalid(() => readCheckpointManifest(dir), file, /unsupported formatVersion 99/);
  });

  it('refuses a missing weights file', async () => {
    await saveCheckpoint(dir, weights(), description);
    fs.rmSync(path.join(dir, WEIGHTS_FILE));
    expectInvalid(() => loadCheckpoint(dir), path.join(dir, WEIGHTS_FILE), /cannot be read/);
  });
});
