import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError, LABEL_TASK_REASONS } from '@forge/domain';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { ExecuteLabelTaskCommand } from './label-task-command.handler';
import type { TaskView } from './tasks.projection';

const createTaskBody = z.strictObject({
  imageId: z.string().min(1).max(100),
  selection: z.enum(LABEL_TASK_REASONS as [string, ...string[]]).default('random'),
  priority: z.number().int().min(0).max(1000).default(0),
  ratersWanted: z.number().int().min(1).max(10).default(1),
  raterCap: z.number().int().min(1).max(20).optional(),
  reason: reasonField,
});
const listQuery = z.strictObject({
  status: z.enum(['Open', 'Completed']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const claimBody = z.strictObject({ reason: reasonField.optional() });

export function publicTask(t: TaskView, viewer?: string) {
  const { leases, ratings, ...rest } = t;
  // Experts see their own lease only, never who else rates the task or how.
  if (viewer) return { ...rest, leaseUntil: leases[viewer] ?? null };
  return { ...rest, leases, raters: Object.keys(ratings) };
}

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ReadModel,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Create a label task for an image' })
  @ApiBody({ schema: openApiSchema(createTaskBody) })
  async create(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const input = parseInput(createTaskBody, body);
    await this.readModel.catchUp();
    if (!this.readModel.images.byId.has(input.imageId)) throw new NotFoundError(`no image '${input.imageId}'`);
    const taskId = randomUUID();
    const data = {
      taskId,
      imageId: input.imageId,
      reason: input.selection as (typeof LABEL_TASK_REASONS)[number],
      priority: input.priority,
      ratersWanted: input.ratersWanted,
      raterCap: input.raterCap ?? Math.max(input.ratersWanted, input.ratersWanted + 2),
    };
    await this.commands.execute(new ExecuteLabelTaskCommand({ type: 'CreateLabelTask', data, metadata: commandMetadata(who, input.reason) }));
    return { ...data, status: 'Open' };
  }

  @Get()
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: 'List label tasks (paged)' })
  async list(@Query() query: unknown) {
    const q = parseInput(listQuery, query, 'query');
    await this.readModel.catchUp();
    const all = [...this.readModel.tasks.byId.values()].filter((t) => !q.status || t.status === q.status);
    return { total: all.length, items: all.slice(q.offset, q.offset + q.limit).map((t) => publicTask(t)) };
  }

  @Get('mine')
  @Roles('expert')
  @ApiOperation({ summary: "The calling expert's queue: tasks they hold a live lease on" })
  async mine(@CurrentPrincipal() who: Principal) {
    await this.readModel.catchUp();
    const now = new Date().toISOString();
    return [...this.readModel.tasks.byId.values()]
      .filter((t) => t.status === 'Open' && (t.leases[who.id] ?? '') > now)
      .sort((a, b) => b.priority - a.priority || a.position - b.position)
      .map((t) => publicTask(t, who.id));
  }

  @Post('claim')
  @HttpCode(200)
  @Roles('expert')
  @ApiOperation({ summary: 'Claim the next task (highest priority first) with a lease; 404 when the queue is empty' })
  @ApiBody({ schema: openApiSchema(claimBody) })
  async claimNext(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const input = parseInput(claimBody, body);
    await this.readModel.catchUp();
    const now = new Date();
    const iso = now.toISOString();
    const candidates = [...this.readModel.tasks.byId.values()]
      .filter((t) => t.status === 'Open' && !t.ratings[who.id] && !((t.leases[who.id] ?? '') > iso))
      .filter((t) => Object.entries(t.leases).filter(([id, until]) => id !== who.id && until > iso).length + Object.keys(t.ratings).length < t.ratersWanted)
      .sort((a, b) => b.priority - a.priority || a.position - b.position);
    // Tasks the expert already holds are in /tasks/mine; claiming asks for a new one.
    // Another expert may take a task between our read and our append: try the next one.
    for (const task of candidates.slice(0, 10)) {
      const leaseUntil = new Date(now.getTime() + this.config.leaseSeconds * 1000).toISOString();
      const metadata = commandMetadata(who, input.reason ?? 'claim next task', undefined, now);
      try {
        await this.commands.execute(new ExecuteLabelTaskCommand({ type: 'AssignLabelTask', data: { taskId: task.taskId, expertId: who.id, leaseUntil }, metadata }));
        return { ...publicTask(task, who.id), leaseUntil };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'WRONG_EXPECTED_VERSION' || (err instanceof DomainError && ['TASK_FULL', 'TASK_ALREADY_COMPLETED', 'ALREADY_RATED'].includes(code!))) continue;
        throw err;
      }
    }
    throw new NotFoundError('no task is waiting for you');
  }
}
