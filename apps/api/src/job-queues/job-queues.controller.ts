import { Controller, Delete, Get, HttpCode, Inject, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { AcceptsQueueBoardSession, Public, Roles, type Principal } from '../auth/roles';
import { TokensService } from '../auth/tokens.service';
import { JOB_QUEUES_BOARD, type JobQueuesBoard } from './job-queues-board';
import { QUEUE_BOARD_COOKIE, QUEUE_BOARD_PATH, queueBoardCookieOptions } from './queue-board-cookie';

/**
 * bull-board at /admin/queues, for admins only. A browser gets there with the cookie from
 * POST /admin/queues/session (DELETE ends it when the portal signs out); other clients send the bearer header. The board's page and its GET
 * API are served, and PUT (retry, pause, resume, clean); adding or editing a job's data (POST,
 * PATCH) is not: jobs come from recorded events, never from the board.
 */
@ApiTags('job queues')
@ApiBearerAuth()
@Controller('admin/queues')
export class JobQueuesController {
  constructor(
    private readonly tokens: TokensService,
    @Inject(JOB_QUEUES_BOARD) private readonly board: JobQueuesBoard,
  ) {}

  @Post('session')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Set the short-lived HttpOnly cookie that lets this browser open the job-queue board at /admin/queues' })
  async session(@CurrentPrincipal() who: Principal, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const session = await this.tokens.issueQueueBoardSession(who.id);
    res.cookie(QUEUE_BOARD_COOKIE, session.token, queueBoardCookieOptions(req, session.maxAgeSeconds));
    res.setHeader('Cache-Control', 'no-store');
    return { board: QUEUE_BOARD_PATH, expiresAt: session.expiresAt };
  }

  // Public: signing out must clear the cookie even when the bearer token has already expired. It only
  // expires the caller's own cookie, and a cross-site page cannot send a DELETE without CORS, which we do not allow.
  @Delete('session')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: "End this browser's job-queue board session: the board cookie is expired at once" })
  endSession(@Req() req: Request, @Res({ passthrough: true }) res: Response): void {
    const { maxAge: _unused, ...options } = queueBoardCookieOptions(req, 0);
    res.clearCookie(QUEUE_BOARD_COOKIE, options);
    res.setHeader('Cache-Control', 'no-store');
  }

  @Get(['', '*path'])
  @Roles('admin')
  @AcceptsQueueBoardSession()
  @ApiExcludeEndpoint()
  read(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.board.serve(req, res);
  }

  @Put('api/*path')
  @Roles('admin')
  @AcceptsQueueBoardSession()
  @ApiExcludeEndpoint()
  act(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.board.serve(req, res);
  }
}
