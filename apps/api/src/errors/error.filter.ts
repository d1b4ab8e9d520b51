import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { DOMAIN_ERROR_CODES, httpStatusOf, type DomainErrorCode } from '@forge/domain';
import type { FieldIssue } from './api-errors';
import { statusForCode } from './status-for-code';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  issues?: FieldIssue[];
  /** Input file problems (file, row, field, reason) from an import. */
  problems?: { file?: string; row?: number; field?: string; reason: string }[];
}

const httpCodes: Record<number, string> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function zodIssues(err: ZodError): FieldIssue[] {
  return err.issues.map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') return { path: i.keys.join(','), message: `unknown field(s): ${i.keys.join(', ')}` };
    return { path: path || '(body)', message: i.message };
  });
}

/** Maps every error to one JSON shape and one status, in one place. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ZodError || (err as Error)?.name === 'ZodError') {
    const issues = zodIssues(err as ZodError);
    return { statusCode: 400, code: 'INVALID_INPUT', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
  }
  const e = err as {
    code?: unknown;
    message?: string;
    type?: string;
    issues?: FieldIssue[];
    problems?: { file?: string; row?: number; field?: string; reason: string; message?: string }[];
    name?: string;
  };
  // body-parser (JSON limits, broken JSON) and multer (upload limits) report their own shapes.
  if (e?.type === 'entity.too.large') return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit' };
  if (e?.type === 'entity.parse.failed') return { statusCode: 400, code: 'INVALID_INPUT', message: 'request body is not valid JSON' };
  if (e?.name === 'MulterError') {
    const tooLarge = e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FILE_COUNT' || e.code === 'LIMIT_FIELD_VALUE';
    return { statusCode: tooLarge ? 413 : 400, code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT', message: `upload refused: ${e.message}` };
  }
  if (err instanceof HttpException) {
    const statusCode = err.getStatus();
    const response = err.getResponse();
    const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? err.message);
    return { statusCode, code: httpCodes[statusCode] ?? (statusCode >= 500 ? 'INTERNAL' : 'HTTP_' + statusCode), message };
  }
  if (e && typeof e.code === 'string') {
    // The domain's own table first (it knows its codes), then ours for everything else.
    const statusCode = DOMAIN_ERROR_CODES.includes(e.code as DomainErrorCode) ? httpStatusOf(e.code as DomainErrorCode) : statusForCode(e.code);
    if (statusCode !== undefined) {
      const body: ErrorBody = { statusCode, code: e.code, message: e.message ?? e.code };
      if (Array.isArray(e.issues) && e.issues.length) body.issues = e.issues;
      const details = (e as { details?: { field?: unknown; reason?: unknown } }).details;
      if (statusCode === 400 && !body.issues && typeof details?.field === 'string') body.issues = [{ path: details.field, message: String(details.reason ?? body.message) }];
      if (Array.isArray(e.problems)) {
        body.problems = e.problems.map((p) => ({ file: p.file, row: p.row, field: p.field, reason: p.reason ?? p.message ?? '' }));
      } else if (statusCode === 400 && typeof (e as { file?: unknown }).file === 'string') {
        const p = e as unknown as { file: string; row?: number; field?: string; reason: string };
        body.problems = [{ file: p.file, row: p.row, field: p.field, reason: p.reason }];
      }
      return body;
    }
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'internal error' };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(err);
    if (body.statusCode >= 500) this.log.error({ err }, 'request failed');
    else this.log.debug({ code: body.code, message: body.message }, 'request refused');
    if (body.code === 'RATE_LIMITED') {
      const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retry) res.setHeader('Retry-After', String(retry));
    }
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }
}
