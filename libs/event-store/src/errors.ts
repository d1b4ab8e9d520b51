import type { ExpectedVersion } from './port';

// Typed errors with stable codes; the API maps WRONG_EXPECTED_VERSION to 409, the CLI to exit code 3.

export class WrongExpectedVersionError extends Error {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the append was refused (0 = no stream). */
    readonly actual: number,
  ) {
    super(`stream '${streamId}': expected version ${String(expected)}, but the stream is at version ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

export class EventIdReusedError extends Error {
  readonly code = 'EVENT_ID_REUSED';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
    reason: string,
  ) {
    super(`event id ${eventId} (appending to stream '${streamId}'): ${reason}`);
    this.name = 'EventIdReusedError';
  }
}

export class InvalidEventError extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export class DataFolderLockedError extends Error {
  readonly code = 'DATA_FOLDER_LOCKED';
  constructor(
    readonly folder: string,
    readonly holderPid: number,
  ) {
    super(
      `the data folder ${folder} is in use by another process (pid ${holderPid}); ` +
        `the embedded database allows one process at a time — stop that process, or set DATABASE_URL to use a PostgreSQL server`,
    );
    this.name = 'DataFolderLockedError';
  }
}

/** Another instance of the same named subscription moved the checkpoint first; this batch was rolled back. */
export class CheckpointMovedError extends Error {
  readonly code = 'CHECKPOINT_CONFLICT';
  constructor(readonly subscription: string) {
    super(`subscription '${subscription}': the checkpoint was moved by another instance; the batch was rolled back`);
    this.name = 'CheckpointMovedError';
  }
}
