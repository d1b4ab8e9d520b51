import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import { ExecuteLabelTaskCommand } from '../tasks/label-task-command.handler';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';

const taskParam = z.strictObject({ taskId: z.string().uuid() });
const releaseBody = z.strictObject({ reason: reasonField.optional() });

/**
 * What the rating screen needs about a task the expert holds: the image and its prompt, nothing
 * about other raters or model scores (no anchoring).
 */
@ApiTags('queue')
@ApiBearerAuth()
@Controller('queue')
export class QueueController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ReadModel,
  ) {}

  @Get('tasks/:taskId')
  @Roles('expert')
  @ApiOperation({ summary: 'A task the calling expert holds a live lease on, with the prompt of its image' })
  async task(@Param() params: unknown, @CurrentPrincipal() who: Principal) {
    const { taskId } = this.taskId(params);
    await this.readModel.catchUp();
    const task = this.readModel.tasks.byId.get(taskId);
    const leaseUntil = task?.leases[who.id];
    if (!task || task.status !== 'Open' || !leaseUntil || leaseUntil <= new Date().toISOString()) throw new NotFoundError(`you hold no live lease on task '${taskId}'`);
    const image = this.readModel.images.byId.get(task.imageId);
    return { taskId, imageId: task.imageId, leaseUntil, prompt: image?.caption ?? '', modality: image?.modality ?? null, width: image?.width ?? null, height: image?.height ?? null };
  }

  @Post('tasks/:taskId/release')
  @HttpCode(200)
  @Roles('expert')
  @ApiOperation({ summary: 'Give a claimed task back without rating it (skip)' })
  @ApiBody({ schema: openApiSchema(releaseBody) })
  async release(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const { taskId } = this.taskId(params);
    const input = parseInput(releaseBody, body);
    await this.commands.execute(new ExecuteLabelTaskCommand({ type: 'ReleaseLabelTask', data: { taskId, expertId: who.id }, metadata: commandMetadata(who, input.reason ?? 'expert skipped the task') }));
    return { taskId, released: true };
  }

  private taskId(params: unknown) {
    const parsed = taskParam.safeParse(params);
    if (!parsed.success) throw new NotFoundError('no such task');
    return parsed.data;
  }
}
