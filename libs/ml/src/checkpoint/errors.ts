/** A checkpoint on disk that is incomplete, altered or not a checkpoint: never loaded. */
export class CheckpointIntegrityError extends Error {
  readonly code = 'CHECKPOINT_INVALID';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${file}: ${reason}`);
    this.name = 'CheckpointIntegrityError';
  }
}
