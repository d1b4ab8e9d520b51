import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MODEL_KINDS, modelVersionDecider, modelVersionsProjection, streams, type ModelKind, type ModelVersionCommand, type ModelVersionsDoc } from '@forge/domain';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { Roles, type Principal } from '../auth/roles';
import { NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { confirmSigner, decideAndSign, meaningField, passwordField } from '../signatures/sign-record';
import { commandMetadata } from '../store/command-metadata';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { LoopStatusView, type LoopStatus } from './loop-status.view';
import { TrainingRunsView } from './training-runs.view';

const versionParams = z.strictObject({ model: z.enum(MODEL_KINDS as [ModelKind, ...ModelKind[]]), version: z.string().min(1).max(200) });
const promoteBody = z.strictObject({ meaning: meaningField.default('approval'), password: passwordField, reason: reasonField });
const rejectBody = promoteBody;

export interface ModelKindView extends ModelVersionsDoc {
  /** The `model-<kind>` stream's revision and head hash: what a signature on it binds to. */
  streamVersion: number;
  headHash: string | null;
}

@ApiTags('models')
@ApiBearerAuth()
@Controller('models')
export class ModelsController {
  private readonly runs: TrainingRunsView;
  private readonly loopStatus: LoopStatusView;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModel: ReadModel,
  ) {
    this.runs = new TrainingRunsView(store);
    this.loopStatus = new LoopStatusView(store);
  }

  @Get()
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: 'Every model kind with its versions, metrics, evaluation and status (empty kinds included)' })
  async list(): Promise<ModelKindView[]> {
    return Promise.all(MODEL_KINDS.map((kind) => this.kind(kind)));
  }

  @Get('runs')
  @Roles('operator', 'auditor', 'admin')
  @ApiOperation({ summary: "The loop's training runs, newest first: trigger, progress by checkpoint, outcome" })
  listRuns() {
    return this.runs.list();
  }

  @Get('loop')
  @Roles('operator', 'admin')
  @ApiOperation({ summary: "The loop's status: latest iteration, last promotion or rejection with its reason, ratings since each model's last retraining, runs by status" })
  async loop(): Promise<LoopStatus> {
    return this.loopStatus.status(await this.runs.list());
  }

  @Post(':model/versions/:version/promote')
  @HttpCode(200)
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Promote an evaluated version, signed: the password is asked again and a SignatureApplied binds to the promotion' })
  @ApiBody({ schema: openApiSchema(promoteBody) })
  promote(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const p = this.params(params);
    const input = parseInput(promoteBody, body);
    return this.signedDecision(who, input, p.model, { type: 'PromoteVersion', data: { model: p.model, version: p.version }, metadata: commandMetadata(who, input.reason) });
  }

  @Post(':model/versions/:version/reject')
  @HttpCode(200)
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Reject a version that is not serving, signed like a promotion' })
  @ApiBody({ schema: openApiSchema(rejectBody) })
  reject(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const p = this.params(params);
    const input = parseInput(rejectBody, body);
    return this.signedDecision(who, input, p.model, { type: 'RejectVersion', data: { model: p.model, version: p.version, reason: input.reason }, metadata: commandMetadata(who, input.reason) });
  }

  // Password first (nothing is appended for a wrong one), then the decision and its signature in one transaction.
  private async signedDecision(who: Principal, input: z.infer<typeof promoteBody>, model: ModelKind, command: ModelVersionCommand) {
    await confirmSigner(this.readModel, who, input.password);
    const result = await decideAndSign(this.store, streams.model(model), modelVersionDecider, command, who, input.meaning);
    return { model: await this.kind(model), events: result.events.map((e) => e.type), signature: result.signature };
  }

  private params(params: unknown) {
    const parsed = versionParams.safeParse(params);
    if (!parsed.success) throw new NotFoundError('no such model version');
    return parsed.data;
  }

  private async kind(kind: ModelKind): Promise<ModelKindView> {
    const events = await this.store.readStream(streams.model(kind));
    let doc: ModelVersionsDoc = { model: kind, promoted: null, versions: {} };
    for (const e of events) doc = modelVersionsProjection.evolve(doc, e as unknown as Parameters<typeof modelVersionsProjection.evolve>[1]) ?? doc;
    const last = events[events.length - 1];
    return { ...doc, streamVersion: last?.streamVersion ?? 0, headHash: last?.hash ?? null };
  }
}
