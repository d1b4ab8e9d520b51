/**
 * Stable error codes of the domain. The API maps them to HTTP once:
 * NOT_FOUND → 404, FORBIDDEN_TRANSITION / *_ALREADY_* / CONFLICT → 409, INVALID_* → 400, FORBIDDEN → 403.
 */
export type DomainErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FORBIDDEN'
  | 'FORBIDDEN_TRANSITION'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'INVALID_EVENT'
  | 'INVALID_RATING'
  | 'DATASET_ALREADY_IMPORTED'
  | 'TASK_ALREADY_COMPLETED'
  | 'TASK_FULL'
  | 'ALREADY_RATED'
  | 'LEASE_REQUIRED'
  | 'LEASE_EXPIRED'
  | 'USER_DISABLED'
  | 'EVALUATION_REQUIRED'
  | 'EVALUATION_FAILED';

export const DOMAIN_ERROR_CODES: readonly DomainErrorCode[] = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FORBIDDEN',
  'FORBIDDEN_TRANSITION',
  'CONFLICT',
  'INVALID_INPUT',
  'INVALID_EVENT',
  'INVALID_RATING',
  'DATASET_ALREADY_IMPORTED',
  'TASK_ALREADY_COMPLETED',
  'TASK_FULL',
  'ALREADY_RATED',
  'LEASE_REQUIRED',
  'LEASE_EXPIRED',
  'USER_DISABLED',
  'EVALUATION_REQUIRED',
  'EVALUATION_FAILED',
];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Plain data naming what was refused (ids, field, expected/actual), for logs and API bodies. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** HTTP status for a domain error code; the API uses this single mapping. */
export function httpStatusOf(code: DomainErrorCode): number {
  switch (code) {
    case 'NOT_FOUND':
      return 404;
    case 'FORBIDDEN':
      return 403;
    case 'INVALID_INPUT':
    case 'INVALID_EVENT':
    case 'INVALID_RATING':
      return 400;
    case 'ALREADY_EXISTS':
    case 'FORBIDDEN_TRANSITION':
    case 'CONFLICT':
    case 'DATASET_ALREADY_IMPORTED':
    case 'TASK_ALREADY_COMPLETED':
    case 'TASK_FULL':
    case 'ALREADY_RATED':
    case 'LEASE_REQUIRED':
    case 'LEASE_EXPIRED':
    case 'USER_DISABLED':
    case 'EVALUATION_REQUIRED':
    case 'EVALUATION_FAILED':
      return 409;
    default: {
      const _exhaustive: never = code;
      return _exhaustive;
    }
  }
}
