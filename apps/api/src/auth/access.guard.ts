import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ForbiddenError } from '../errors/api-errors';
import { QUEUE_BOARD_COOKIE, readCookie } from '../job-queues/queue-board-cookie';
import { PUBLIC_KEY, QUEUE_BOARD_SESSION_KEY, ROLES_KEY, type Principal, type Role } from './roles';
import { TokensService } from './tokens.service';

export type AuthedRequest = Request & { principal?: Principal };

/**
 * Applied to every route. Deny by default: a route that declares neither @Public() nor @Roles(...)
 * is refused for everyone, so forgetting the decorator can never open a route.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || allowed.length === 0) throw new ForbiddenError(`${req.method} ${req.route?.path ?? req.path} declares no access rule and is closed`);
    // The board cookie counts only where a route asks for it, and a bearer header always wins.
    const boardCookie = !req.headers.authorization && this.reflector.getAllAndOverride<boolean>(QUEUE_BOARD_SESSION_KEY, targets);
    const principal = boardCookie
      ? await this.tokens.authenticateQueueBoardSession(readCookie(req.headers.cookie, QUEUE_BOARD_COOKIE))
      : await this.tokens.authenticate(req.headers.authorization);
    req.principal = principal;
    if (!principal.roles.some((r) => allowed.includes(r))) {
      throw new ForbiddenError(`this needs one of the roles: ${allowed.join(', ')}`);
    }
    return true;
  }
}
