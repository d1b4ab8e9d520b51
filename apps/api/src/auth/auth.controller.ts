import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod/v4';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { UnauthenticatedError } from '../errors/api-errors';
import { EVENT_STORE } from '../store/event-store.token';
import type { EventStore } from '../store/port';
import { loadUser } from '../users/load-user';
import { openApiSchema, parseInput } from '../validation/parse-input';
import { LoginRateLimiter } from './login-rate-limiter';
import { decoyHash, verifyPassword } from './password';
import { CurrentPrincipal } from './principal.decorator';
import { Public, Roles, type Principal } from './roles';
import { TokensService } from './tokens.service';

const loginBody = z.strictObject({ username: z.string().min(1).max(40), password: z.string().min(1).max(200) });

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly limiter: LoginRateLimiter;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly tokens: TokensService,
  ) {
    this.limiter = new LoginRateLimiter(config.loginAttempts, config.loginWindowMs);
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a username and password for a bearer token that expires' })
  @ApiBody({ schema: openApiSchema(loginBody) })
  async login(@Body() body: unknown, @Req() req: Request) {
    const { username, password } = parseInput(loginBody, body);
    const ip = req.ip ?? 'unknown';
    this.limiter.check(ip, username);
    const user = await loadUser(this.store, username);
    const known = user.status === 'Absent' ? undefined : user;
    // An unknown user costs the same scrypt work as a known one.
    const ok = await verifyPassword(password, known?.passwordHash ?? (await decoyHash(this.config.scryptLogN)));
    if (!known || !ok || known.status !== 'Active') {
      this.limiter.failed(ip, username);
      throw new UnauthenticatedError('wrong username or password, or the account is disabled');
    }
    this.limiter.succeeded(ip, username);
    const token = await this.tokens.issue(username);
    return { tokenType: 'Bearer', ...token, username, roles: known.roles };
  }

  @Get('me')
  @Roles('expert', 'operator', 'auditor', 'admin', 'service')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the token belongs to' })
  me(@CurrentPrincipal() who: Principal) {
    return who;
  }
}
