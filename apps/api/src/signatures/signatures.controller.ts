import { Body, Controller, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { confirmSigner, meaningField, passwordField, signRecord } from './sign-record';

const signBody = z.strictObject({
  stream: z.string().regex(/^[a-z]+-[A-Za-z0-9._:-]{1,200}$/, 'must be a stream id such as task-<id>'),
  revision: z.number().int().min(1),
  meaning: meaningField,
  password: passwordField,
  reason: reasonField.optional(),
});

@ApiTags('signatures')
@ApiBearerAuth()
@Controller('signatures')
export class SignaturesController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModel: ReadModel,
  ) {}

  @Post()
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: 'Electronically sign one record (a stream at a revision, bound to its chain hash); the password is asked again' })
  @ApiBody({ schema: openApiSchema(signBody) })
  async sign(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const input = parseInput(signBody, body);
    await confirmSigner(this.readModel, who, input.password);
    return signRecord(this.store, who, input, commandMetadata(who, input.reason ?? `signature (${input.meaning}) of ${input.stream}@${input.revision}`));
  }
}
