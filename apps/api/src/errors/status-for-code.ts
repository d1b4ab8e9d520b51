// The one table from stable error codes (ours, the event store's, the domain's, the ingest library's) to HTTP status.
const exact: Record<string, number> = {
  INVALID_INPUT: 400,
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  PATH_OUTSIDE_IMPORT_ROOT: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  WRONG_EXPECTED_VERSION: 409,
  EVENT_ID_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  JOB_QUEUES_IN_PROCESS: 503,
};

/** Status for a code, falling back on naming patterns used by the other libraries' codes. */
export function statusForCode(code: string): number | undefined {
  if (exact[code] !== undefined) return exact[code];
  if (/NOT_FOUND$|^UNKNOWN_/.test(code)) return 404;
  if (/^INVALID|MALFORMED|^BAD_/.test(code)) return 400;
  if (/FORBIDDEN|NOT_ALLOWED|NOT_YOURS|NOT_ASSIGNED_TO/.test(code)) return 403;
  if (/CONFLICT|ALREADY|EXPIRED|COMPLETED|WRONG_|REUSED|CLOSED|NOT_OPEN|NO_RATING|DISABLED/.test(code)) return 409;
  return undefined;
}
