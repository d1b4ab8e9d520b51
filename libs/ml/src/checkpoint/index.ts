export { saveCheckpoint, loadCheckpoint, readCheckpointManifest } from './checkpoint-files';
export type { LoadedCheckpoint } from './checkpoint-files';
export { CheckpointIntegrityError } from './errors';
export { CHECKPOINT_FORMAT_VERSION, MANIFEST_FILE, WEIGHTS_FILE } from './manifest';
export type { CheckpointDescription, CheckpointLineage, CheckpointManifest, WeightSpec, WeightDtype } from './manifest';
