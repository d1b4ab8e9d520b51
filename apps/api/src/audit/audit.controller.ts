import { Controller, Get, Header, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { canonicalJson, rebuildStateJson, type AsOf } from '@forge/domain';
import type { Response } from 'express';
import { z } from 'zod/v4';
import { Roles } from '../auth/roles';
import { NotFoundError } from '../errors/api-errors';
import { EVENT_STORE } from '../store/event-store.token';
import { START, type EventStore, type GlobalCheckpoint, type RecordedEvent } from '../store/port';
import { parseInput } from '../validation/parse-input';
import { redacted } from './redact';

const cursor = z
  .string()
  .regex(/^\d+:\d+$/, 'must be <transactionId>:<position> as returned in `next`')
  .transform((s): GlobalCheckpoint => {
    const [transactionId, position] = s.split(':');
    return { transactionId, position: Number(position) };
  });
const readAllQuery = z.strictObject({ after: cursor.optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) });
const stateQuery = z
  .strictObject({ asOfPosition: z.coerce.number().int().min(0).optional(), asOfTime: z.iso.datetime({ offset: true }).optional() })
  .refine((q) => (q.asOfPosition === undefined) !== (q.asOfTime === undefined), { message: 'give exactly one of asOfPosition or asOfTime', path: ['asOfPosition'] });
const streamParam = z.strictObject({ streamId: z.string().regex(/^[a-z]+-[A-Za-z0-9._:-]{1,200}$/) });

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get('streams/:streamId')
  @Roles('auditor', 'admin')
  @ApiOperation({ summary: 'Every event of one stream, with versions and hashes' })
  async stream(@Param() params: unknown) {
    const parsed = streamParam.safeParse(params);
    if (!parsed.success) throw new NotFoundError('no such stream');
    const events = await this.store.readStream(parsed.data.streamId);
    if (events.length === 0) throw new NotFoundError(`no stream '${parsed.data.streamId}'`);
    return { streamId: parsed.data.streamId, version: events[events.length - 1].streamVersion, events: events.map(redacted) };
  }

  @Get('events')
  @Roles('auditor', 'admin')
  @ApiOperation({ summary: 'The global log from a cursor, paged; pass `next` back as `after`' })
  async readAll(@Query() query: unknown) {
    const q = parseInput(readAllQuery, query, 'query');
    const events = await this.store.readAll({ after: q.after ?? START, limit: q.limit });
    const last = events[events.length - 1];
    return { events: events.map(redacted), next: last ? `${last.transactionId}:${last.position}` : null };
  }

  @Get('state')
  @Roles('auditor', 'admin')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'The state rebuilt from the log as of a position or an ISO time (canonical JSON: same history, same bytes)' })
  async state(@Query() query: unknown) {
    const q = parseInput(stateQuery, query, 'query');
    const asOf: AsOf = q.asOfPosition !== undefined ? { asOfPosition: q.asOfPosition } : { asOfTime: new Date(q.asOfTime!).toISOString() };
    const events = await this.everything();
    return rebuildStateJson(events, asOf);
  }

  @Get('verify')
  @Roles('auditor', 'admin')
  @ApiOperation({ summary: 'Check every hash chain and seal; names the first broken link' })
  verify() {
    return this.store.verify();
  }

  @Get('export')
  @Roles('auditor', 'admin')
  @ApiProduces('application/x-ndjson')
  @ApiOperation({ summary: 'All events as JSON lines, each with its hash and previous hash' })
  async export(@Res() res: Response) {
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="forge-events.jsonl"');
    let after = START;
    for (;;) {
      const page = await this.store.readAll({ after, limit: 1000 });
      for (const e of page) res.write(canonicalJson(e) + '\n');
      if (page.length < 1000) break;
      const last = page[page.length - 1];
      after = { transactionId: last.transactionId, position: last.position };
    }
    res.end();
  }

  private async everything(): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    let after = START;
    for (;;) {
      const page = await this.store.readAll({ after, limit: 5000 });
      all.push(...page);
      if (page.length < 5000) return all;
      const last = page[page.length - 1];
      after = { transactionId: last.transactionId, position: last.position };
    }
  }
}
