import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendInfo, FundusEncoder, FundusEncoderConfig, loadCheckpoint, readCheckpointManifest, saveCheckpoint, type CheckpointManifest, type SaveMeta } from '@forge/ml';

/** `<dataDir>/models/<kind>/<version>/`: one folder per saved model version. */
export function checkpointDir(dataDir: string, kind: string, version: string): string {
  return path.join(dataDir, 'models', kind, version);
}

/** A checkpoint counts as saved once its manifest is there (the manifest is written last). */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'manifest.json'));
}

export function manifestOf(dir: string): CheckpointManifest {
  return readCheckpointManifest(dir);
}

/** What every save states about itself; the clock is read here, outside the models. */
export function saveMeta(version: string, parentVersion: string | null, dataUpToPosition: number, seed: number, metrics: Record<string, number>, lineage: Record<string, unknown> = {}): SaveMeta {
  const b = backendInfo();
  return {
    version,
    parentVersion,
    lineage: { dataUpToPosition, ...lineage },
    backend: { name: b.name, threads: b.threads, simd: b.simd, version: b.version },
    seed,
    metrics,
    createdAt: new Date().toISOString(),
  };
}

export function saveFundusEncoder(dir: string, encoder: FundusEncoder, meta: SaveMeta): Promise<CheckpointManifest> {
  return saveCheckpoint(dir, encoder.store.weightMap(), { ...meta, modelKind: 'fundus-encoder', architecture: { fundus: encoder.config as unknown as Record<string, unknown> } });
}

export function loadFundusEncoder(dir: string): FundusEncoder {
  const { manifest, weights } = loadCheckpoint(dir);
  const encoder = new FundusEncoder((manifest.architecture as unknown as { fundus: FundusEncoderConfig }).fundus, manifest.seed);
  encoder.store.load(weights);
  Object.values(weights).forEach((t) => t.dispose());
  return encoder;
}
