import { NotFoundException } from '@nestjs/common';
import { DomainError } from '@forge/domain';
import { WrongExpectedVersionError } from '@forge/event-store';
import { IngestError, IngestErrors } from '@forge/ingest';
import { z } from 'zod';
import { ConflictError, ForbiddenError, InvalidInputError, PayloadTooLargeError, RateLimitedError, ServiceUnavailableError, UnauthenticatedError } from './api-errors';
import { toErrorBody } from './error.filter';

describe('one mapping from typed errors to HTTP', () => {
  it.each([
    [new WrongExpectedVersionError('task-1', 3, 4), 409, 'WRONG_EXPECTED_VERSION'],
    [new DomainError('TASK_ALREADY_COMPLETED', 'done'), 409, 'TASK_ALREADY_COMPLETED'],
    [new DomainError('NOT_FOUND', 'gone'), 404, 'NOT_FOUND'],
    [new DomainError('INVALID_RATING', 'bad', { field: 'quality' }), 400, 'INVALID_RATING'],
    [new ConflictError('taken', 'DATASET_ALREADY_IMPORTED_CONFLICT'), 409, 'DATASET_ALREADY_IMPORTED_CONFLICT'],
    [new ForbiddenError('no'), 403, 'FORBIDDEN'],
    [new UnauthenticatedError(), 401, 'UNAUTHENTICATED'],
    [new InvalidInputError('bad', [{ path: 'x', message: 'y' }]), 400, 'INVALID_INPUT'],
    [new PayloadTooLargeError('big'), 413, 'PAYLOAD_TOO_LARGE'],
    [new RateLimitedError('slow down', 5), 429, 'RATE_LIMITED'],
    [new ServiceUnavailableError('no Redis', 'JOB_QUEUES_IN_PROCESS'), 503, 'JOB_QUEUES_IN_PROCESS'],
    [new NotFoundException(), 404, 'NOT_FOUND'],
    [Object.assign(new Error('too large'), { type: 'entity.too.large' }), 413, 'PAYLOAD_TOO_LARGE'],
    [Object.assign(new Error('File too large'), { name: 'MulterError', code: 'LIMIT_FILE_SIZE' }), 413, 'PAYLOAD_TOO_LARGE'],
    [new Error('boom'), 500, 'INTERNAL'],
  ])('%s → %i %s', (err, status, code) => {
    expect(toErrorBody(err)).toMatchObject({ statusCode: status, code });
  });

  it('keeps the field path of domain input errors and zod issues', () => {
    expect(toErrorBody(new DomainError('INVALID_RATING', 'quality: must be 1..3', { field: 'quality', reason: 'must be 1..3' })).issues).toEqual([{ path: 'quality', message: 'must be 1..3' }]);
    const zodError = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } }).error;
    expect(toErrorBody(zodError).issues?.[0].path).toBe('a.b');
  });

  it('lists every bad row of an import with file, row, field and reason', () => {
    const body = toErrorBody(new IngestErrors([new IngestError('d.csv', 'empty text', 2, 'text'), new IngestError('d.csv', 'image missing', 3, 'path')]));
    expect(body.statusCode).toBe(400);
    expect(body.problems).toEqual([
      { file: 'd.csv', row: 2, field: 'text', reason: 'empty text' },
      { file: 'd.csv', row: 3, field: 'path', reason: 'image missing' },
    ]);
    expect(toErrorBody(new IngestError('d.csv', 'file is empty')).problems).toEqual([{ file: 'd.csv', row: undefined, field: undefined, reason: 'file is empty' }]);
  });

  it('never leaks the message of an unexpected error', () => {
    expect(toErrorBody(new Error('password=hunter2 at db')).message).toBe('internal error');
  });
});
