import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { ExecuteLabelTaskCommand } from './label-task-command.handler';
import { RATING_FLAGS } from './rating-flags';

const rating = z.number().int().min(1).max(3);
export const submitRatingBody = z.strictObject({
  quality: rating,
  alignment: rating,
  flags: z.array(z.enum(RATING_FLAGS)).max(RATING_FLAGS.length).default([]),
  comment: z.string().max(2000).default(''),
  msSpent: z.number().int().min(0).max(24 * 3600 * 1000),
  reason: reasonField.optional(),
});
const retractBody = z.strictObject({ reason: reasonField.optional() });
const taskParam = z.strictObject({ taskId: z.string().uuid() });

@ApiTags('ratings')
@ApiBearerAuth()
@Controller()
export class RatingsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ReadModel,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post('tasks/:taskId/ratings')
  @Roles('expert')
  @ApiOperation({ summary: 'Submit a rating on a task the expert holds' })
  @ApiBody({ schema: openApiSchema(submitRatingBody) })
  async submit(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const parsed = taskParam.safeParse(params);
    if (!parsed.success) throw new NotFoundError('no such task');
    const input = parseInput(submitRatingBody, body);
    const { taskId } = parsed.data;
    const data = {
      taskId,
      expertId: who.id,
      quality: input.quality,
      alignment: input.alignment,
      flags: [...new Set(input.flags)],
      comment: input.comment,
      msSpent: input.msSpent,
    };
    const result = await this.commands.execute(new ExecuteLabelTaskCommand({ type: 'SubmitRating', data, metadata: commandMetadata(who, input.reason ?? 'expert rating') }));
    const completed = (result as { events: { type: string }[] }).events.some((e) => e.type === 'LabelTaskCompleted');
    return { ...data, taskCompleted: completed };
  }

  @Get('ratings/mine')
  @Roles('expert')
  @ApiOperation({ summary: "The calling expert's own ratings, newest first" })
  async mine(@CurrentPrincipal() who: Principal) {
    await this.readModel.catchUp();
    return [...(this.readModel.tasks.ratingsByExpert.get(who.id) ?? [])].reverse();
  }

  @Post('ratings/mine/last/retract')
  @HttpCode(200)
  @Roles('expert')
  @ApiOperation({ summary: "Undo the calling expert's most recent rating; the task comes back to them with a fresh lease" })
  @ApiBody({ schema: openApiSchema(retractBody) })
  async retractLast(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const input = parseInput(retractBody, body);
    await this.readModel.catchUp();
    const last = [...(this.readModel.tasks.ratingsByExpert.get(who.id) ?? [])].reverse().find((r) => !r.retracted);
    if (!last) throw new NotFoundError('you have no rating to retract');
    const leaseUntil = new Date(Date.now() + this.config.leaseSeconds * 1000).toISOString();
    const metadata = commandMetadata(who, input.reason ?? 'expert undid their last rating');
    await this.commands.execute(new ExecuteLabelTaskCommand({ type: 'RetractRating', data: { taskId: last.taskId, expertId: who.id, leaseUntil }, metadata }));
    return { taskId: last.taskId, imageId: last.imageId, retracted: true, leaseUntil };
  }
}
