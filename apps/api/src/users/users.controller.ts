import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ROLES } from '@forge/domain';
import { z } from 'zod/v4';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { hashPassword } from '../auth/password';
import { Roles, type Principal } from '../auth/roles';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { NotFoundError } from '../errors/api-errors';
import { ReadModel } from '../read-model/read-model.service';
import { commandMetadata } from '../store/command-metadata';
import { openApiSchema, parseInput, reasonField } from '../validation/parse-input';
import { ExecuteUserCommand } from './user-command.handler';
/** Usernames are the user ids (stream `user-<username>`): lowercase, so there is one spelling. */
export const USERNAME = /^[a-z][a-z0-9._-]{2,39}$/;

const roles = z.array(z.enum(ROLES as [string, ...string[]])).min(1).max(4);
const createUserBody = z.strictObject({
  username: z.string().regex(USERNAME, 'lowercase letters, digits, . _ -, 3–40 characters, starting with a letter'),
  password: z.string().min(10).max(200),
  roles,
  reason: reasonField,
});
const changeRolesBody = z.strictObject({ roles, reason: reasonField });
const disableBody = z.strictObject({ reason: reasonField });
const usernameParam = z.strictObject({ username: z.string().regex(USERNAME) });

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly readModel: ReadModel,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List users and their roles' })
  async list() {
    await this.readModel.catchUp();
    return [...this.readModel.users.byName.values()].map(({ username, roles, disabled, registeredAt }) => ({ username, roles, disabled, registeredAt }));
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a user with roles' })
  @ApiBody({ schema: openApiSchema(createUserBody) })
  async create(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const input = parseInput(createUserBody, body);
    const passwordHash = await hashPassword(input.password, this.config.scryptLogN);
    const command = { type: 'RegisterUser' as const, data: { userId: input.username, username: input.username, roles: input.roles as never, passwordHash }, metadata: commandMetadata(who, input.reason) };
    await this.commands.execute(new ExecuteUserCommand(command));
    return { username: input.username, roles: [...new Set(input.roles)].sort() };
  }

  @Put(':username/roles')
  @Roles('admin')
  @ApiOperation({ summary: "Replace a user's roles" })
  @ApiBody({ schema: openApiSchema(changeRolesBody) })
  async changeRoles(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const { username } = this.existing(params);
    const input = parseInput(changeRolesBody, body);
    const command = { type: 'ChangeUserRoles' as const, data: { userId: username, roles: input.roles as never }, metadata: commandMetadata(who, input.reason) };
    await this.commands.execute(new ExecuteUserCommand(command));
    return { username, roles: [...new Set(input.roles)].sort() };
  }

  @Post(':username/disable')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Disable a user: their tokens stop working at once' })
  @ApiBody({ schema: openApiSchema(disableBody) })
  async disable(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const { username } = this.existing(params);
    const input = parseInput(disableBody, body);
    await this.commands.execute(new ExecuteUserCommand({ type: 'DisableUser', data: { userId: username }, metadata: commandMetadata(who, input.reason) }));
    return { username, disabled: true };
  }

  private existing(params: unknown) {
    const parsed = usernameParam.safeParse(params);
    if (!parsed.success) throw new NotFoundError('no such user');
    return parsed.data;
  }
}
