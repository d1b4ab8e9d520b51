// Typed errors with stable codes. Handlers and guards throw these; one filter turns codes into HTTP.

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `flags.2` or `quality`. */
  path: string;
  message: string;
}

export class InvalidInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(message: string, readonly issues: FieldIssue[] = []) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export class UnauthenticatedError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'a valid bearer token is required') {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends Error {
  readonly code = 'FORBIDDEN';
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A command refused because of the current state (already exists, already completed, lease lost…). */
export class ConflictError extends Error {
  constructor(message: string, readonly code: string = 'CONFLICT') {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Something this deployment does not run (e.g. the job-queue board without Redis); the message says why. */
export class ServiceUnavailableError extends Error {
  constructor(message: string, readonly code: string = 'SERVICE_UNAVAILABLE') {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export class PayloadTooLargeError extends Error {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(message: string) {
    super(message);
    this.name = 'PayloadTooLargeError';
  }
}

export class RateLimitedError extends Error {
  readonly code = 'RATE_LIMITED';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
    this.name = 'RateLimitedError';
  }
}
