import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointIntegrityError } from './errors';
import {
  byteLengthOf,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointDescription,
  CheckpointManifest,
  MANIFEST_FILE,
  validateManifest,
  WeightDtype,
  WEIGHTS_FILE,
  WeightSpec,
} from './manifest';

// A checkpoint is a folder with one binary weights file (the weights back to back, in name
// order, little-endian as the typed arrays lay them out) and a JSON manifest that describes the
// layout, hashes the binary and records where the model came from.

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  /** Fresh tensors; the caller owns (and disposes) them. */
  weights: tf.NamedTensorMap;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeAtomically(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Writes `weights` and the manifest into `dir` (created if needed) and returns the manifest.
 * The manifest is written last, so a folder without one is an unfinished save.
 */
export async function saveCheckpoint(dir: string, weights: tf.NamedTensorMap, description: CheckpointDescription): Promise<CheckpointManifest> {
  const names = Object.keys(weights).sort();
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = weights[name];
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
      throw Object.assign(new Error(`checkpoint weight '${name}' has dtype ${t.dtype}; only float32, int32 and bool are stored`), { code: 'INVALID_INPUT' });
    }
    const dtype = t.dtype as WeightDtype;
    const values = await t.data();
    const bytes =
      dtype === 'bool'
        ? Uint8Array.from(values as ArrayLike<number>)
        : new Uint8Array(values.buffer as ArrayBuffer, (values as Float32Array).byteOffset, byteLengthOf(t.shape, dtype));
    specs.push({ name, shape: [...t.shape], dtype, offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const blob = Buffer.concat(chunks, offset);
  const manifest: CheckpointManifest = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    ...description,
    weightsFile: WEIGHTS_FILE,
    weightsByteLength: blob.byteLength,
    weightsSha256: sha256(blob),
    weights: specs,
  };
  fs.mkdirSync(dir, { recursive: true });
  writeAtomically(path.join(dir, WEIGHTS_FILE), blob);
  writeAtomically(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Reads and validates the manifest alone (no weights). */
export function readCheckpointManifest(dir: string): CheckpointManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CheckpointIntegrityError(file, `manifest cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CheckpointIntegrityError(file, `manifest is not valid JSON (${(err as Error).message})`);
  }
  return validateManifest(parsed, file);
}

/**
 * Loads a checkpoint after checking the weights file's size and sha256 against the manifest.
 * Anything truncated, altered or inconsistent raises `CheckpointIntegrityError`.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const manifest = readCheckpointManifest(dir);
  const file = path.join(dir, manifest.weightsFile);
  let blob: Buffer;
  try {
    blob = fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointIntegrityError(file, `weights file cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (blob.byteLength !== manifest.weightsByteLength) {
    throw new CheckpointIntegrityError(file, `weights file has ${blob.byteLength} bytes, manifest says ${manifest.weightsByteLength} (truncated or replaced)`);
  }
  const digest = sha256(blob);
  if (digest !== manifest.weightsSha256) {
    throw new CheckpointIntegrityError(file, `sha256 ${digest} does not match the manifest's ${manifest.weightsSha256} (contents altered)`);
  }
  // Copy into an aligned buffer: typed arrays need offsets that are multiples of 4.
  const aligned = new Uint8Array(blob.byteLength);
  aligned.set(blob);
  const weights: tf.NamedTensorMap = {};
  for (const spec of manifest.weights) {
    const bytes = aligned.buffer.slice(spec.offset, spec.offset + spec.byteLength);
    const values = spec.dtype === 'float32' ? new Float32Array(bytes) : spec.dtype === 'int32' ? new Int32Array(bytes) : new Uint8Array(bytes);
    weights[spec.name] = tf.tensor(values, spec.shape, spec.dtype);
  }
  return { manifest, weights };
}
