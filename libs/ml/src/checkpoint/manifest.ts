import { CheckpointIntegrityError } from './errors';

export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';

export type WeightDtype = 'float32' | 'int32' | 'bool';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  /** Byte offset of this weight in the weights file. */
  offset: number;
  byteLength: number;
}

/** Which data a model saw: the event position up to which ratings/images were used, plus free-form detail. */
export interface CheckpointLineage {
  dataUpToPosition: number | string | null;
  [key: string]: unknown;
}

/** What the caller states about a checkpoint; the weight layout and hash are computed on save. */
export interface CheckpointDescription {
  /** e.g. 'generator', 'selector', 'policy', 'text-encoder'. */
  modelKind: string;
  /** Version id of this checkpoint (caller's naming). */
  version: string;
  /** The architecture config needed to rebuild the model. */
  architecture: Record<string, unknown>;
  parentVersion: string | null;
  lineage: CheckpointLineage;
  /** Backend that trained it, e.g. `backendInfo()`. */
  backend: Record<string, unknown>;
  seed: number;
  metrics: Record<string, number>;
  /** ISO time, passed in (never read from the clock here). */
  createdAt: string;
}

export interface CheckpointManifest extends CheckpointDescription {
  formatVersion: number;
  weightsFile: string;
  weightsByteLength: number;
  weightsSha256: string;
  weights: WeightSpec[];
}

const BYTES_PER_ELEMENT: Record<WeightDtype, number> = { float32: 4, int32: 4, bool: 1 };

export function byteLengthOf(shape: number[], dtype: WeightDtype): number {
  return shape.reduce((n, d) => n * d, 1) * BYTES_PER_ELEMENT[dtype];
}

/** Checks a parsed manifest field by field; the first problem is reported with the file. */
export function validateManifest(value: unknown, file: string): CheckpointManifest {
  const fail = (reason: string): never => {
    throw new CheckpointIntegrityError(file, reason);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('manifest is not a JSON object');
  const m = value as Record<string, unknown>;
  if (m.formatVersion !== CHECKPOINT_FORMAT_VERSION) fail(`unsupported formatVersion ${JSON.stringify(m.formatVersion)} (expected ${CHECKPOINT_FORMAT_VERSION})`);
  for (const field of ['modelKind', 'version', 'weightsFile', 'weightsSha256', 'createdAt'] as const) {
    if (typeof m[field] !== 'string' || (m[field] as string).length === 0) fail(`field '${field}' must be a non-empty string`);
  }
  if (!/^[0-9a-f]{64}$/.test(m.weightsSha256 as string)) fail(`field 'weightsSha256' is not a sha256 hex digest`);
  if ((m.weightsFile as string).includes('/') || (m.weightsFile as string).includes('\\')) fail(`field 'weightsFile' must be a file name in the checkpoint folder`);
  if (m.parentVersion !== null && typeof m.parentVersion !== 'string') fail(`field 'parentVersion' must be a string or null`);
  for (const field of ['architecture', 'lineage', 'backend', 'metrics'] as const) {
    if (typeof m[field] !== 'object' || m[field] === null || Array.isArray(m[field])) fail(`field '${field}' must be an object`);
  }
  if (!('dataUpToPosition' in (m.lineage as object))) fail(`field 'lineage.dataUpToPosition' is missing`);
  if (typeof m.seed !== 'number' || !Number.isFinite(m.seed)) fail(`field 'seed' must be a number`);
  if (!Number.isInteger(m.weightsByteLength) || (m.weightsByteLength as number) < 0) fail(`field 'weightsByteLength' must be a non-negative integer`);
  if (!Array.isArray(m.weights)) return fail(`field 'weights' must be an array`);
  const names = new Set<string>();
  let expectedOffset = 0;
  (m.weights as unknown[]).forEach((w, i) => {
    const spec = w as Partial<WeightSpec>;
    const where = `weights[${i}]`;
    if (typeof spec !== 'object' || spec === null) fail(`${where} is not an object`);
    if (typeof spec.name !== 'string' || spec.name.length === 0) fail(`${where}.name must be a non-empty string`);
    if (names.has(spec.name as string)) fail(`${where}.name '${spec.name}' appears twice`);
    names.add(spec.name as string);
    if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${where} ('${spec.name}') has an invalid shape`);
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32' && spec.dtype !== 'bool') fail(`${where} ('${spec.name}') has unsupported dtype ${JSON.stringify(spec.dtype)}`);
    const byteLength = byteLengthOf(spec.shape as number[], spec.dtype as WeightDtype);
    if (spec.byteLength !== byteLength) fail(`${where} ('${spec.name}') byteLength ${spec.byteLength} does not match shape ${JSON.stringify(spec.shape)} ${spec.dtype} (${byteLength})`);
    if (spec.offset !== expectedOffset) fail(`${where} ('${spec.name}') offset ${spec.offset}, expected ${expectedOffset}`);
    expectedOffset += byteLength;
  });
  if (expectedOffset !== m.weightsByteLength) fail(`weights add up to ${expectedOffset} bytes but weightsByteLength is ${m.weightsByteLength}`);
  return m as unknown as CheckpointManifest;
}
