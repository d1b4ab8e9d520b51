import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint, type SaveMeta } from '@forge/ml';
import { checkpointDir } from './checkpoints';

// A training run in progress leaves partial checkpoints next to the version it will become:
// `<dataDir>/models/<kind>/<version>.partial/step-<n>/`, and `latest.json` names the newest one.
// The pointer is replaced atomically only after its folder is complete, so a worker killed while
// writing leaves the previous partial checkpoint in charge.

const POINTER = 'latest.json';

export function partialDir(dataDir: string, kind: string, version: string): string {
  return `${checkpointDir(dataDir, kind, version)}.partial`;
}

export interface PartialCheckpoint {
  step: number;
  /** The step's folder: the model, the optimizer state and `state.json`. */
  folder: string;
}

/** The newest complete partial checkpoint under `dir`, or undefined when there is none. */
export function latestPartial(dir: string): PartialCheckpoint | undefined {
  const file = path.join(dir, POINTER);
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw Object.assign(new Error(`partial checkpoint pointer ${file} is not valid JSON (${(err as Error).message})`), { code: 'INVALID_INPUT' });
  }
  const p = parsed as Partial<PartialCheckpoint>;
  if (!Number.isInteger(p.step) || (p.step as number) < 1 || typeof p.folder !== 'string' || p.folder.includes('/') || p.folder.includes('\\')) {
    throw Object.assign(new Error(`partial checkpoint pointer ${file} must hold {"step": n ≥ 1, "folder": "step-…"}`), { code: 'INVALID_INPUT' });
  }
  return { step: p.step as number, folder: path.join(dir, p.folder) };
}

/** Writes a step's folder with `write`, points `latest.json` at it, then removes the older steps. */
export async function writePartial(dir: string, step: number, write: (folder: string) => Promise<void>): Promise<string> {
  const name = `step-${String(step).padStart(8, '0')}`;
  const folder = path.join(dir, name);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  await write(folder);
  const tmp = path.join(dir, `${POINTER}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify({ step, folder: name }) + '\n');
  fs.renameSync(tmp, path.join(dir, POINTER));
  for (const old of fs.readdirSync(dir)) if (old.startsWith('step-') && old !== name) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
  return folder;
}

/** Once the version itself is saved its partial checkpoints are no longer needed. */
export function removePartials(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Optimizer moments as a checkpoint of their own (same integrity checks as model weights). */
export async function saveOptimizerState(folder: string, state: tf.NamedTensorMap, meta: SaveMeta): Promise<void> {
  try {
    await saveCheckpoint(path.join(folder, 'optimizer'), state, { ...meta, modelKind: 'optimizer-state', architecture: {} });
  } finally {
    tf.dispose(Object.values(state));
  }
}

/** The caller owns (and disposes) the returned tensors. */
export function loadOptimizerState(folder: string): tf.NamedTensorMap {
  return loadCheckpoint(path.join(folder, 'optimizer')).weights;
}

export function writeState(folder: string, state: Record<string, unknown>): void {
  fs.writeFileSync(path.join(folder, 'state.json'), JSON.stringify(state) + '\n');
}

export function readState<T>(folder: string): T {
  return JSON.parse(fs.readFileSync(path.join(folder, 'state.json'), 'utf8')) as T;
}
