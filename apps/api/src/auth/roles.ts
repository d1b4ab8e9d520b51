import { SetMetadata } from '@nestjs/common';

export const USER_ROLES = ['expert', 'operator', 'auditor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** Workers authenticate with a static service token and get this role only. */
export type Role = UserRole | 'service';

export const ROLES_KEY = 'forge:roles';
export const PUBLIC_KEY = 'forge:public';
export const QUEUE_BOARD_SESSION_KEY = 'forge:queue-board-session';

/** The roles allowed on a route. Every route needs this or @Public(): the guard refuses anything else. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** A route anyone may call without a token (health, login). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * The route also accepts the job-queue board cookie instead of a bearer header: a browser opening
 * bull-board by a link cannot send the header. The roles still apply.
 */
export const AcceptsQueueBoardSession = () => SetMetadata(QUEUE_BOARD_SESSION_KEY, true);

/** Who is calling: a user (by username) or a named service. */
export interface Principal {
  kind: 'user' | 'service';
  id: string;
  roles: Role[];
}
