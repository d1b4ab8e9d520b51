import type { Role, UserEvent } from '../events';
import { ROLES } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { invalid, requireOneOf, requireText } from '../shared/guards';

export type RegisterUser = Command<'RegisterUser', { userId: string; username: string; roles: Role[]; passwordHash: string }>;
export type ChangeUserRoles = Command<'ChangeUserRoles', { userId: string; roles: Role[] }>;
export type ChangeUserPassword = Command<'ChangeUserPassword', { userId: string; passwordHash: string }>;
export type DisableUser = Command<'DisableUser', { userId: string }>;

export type UserCommand = RegisterUser | ChangeUserRoles | ChangeUserPassword | DisableUser;

type Account = { userId: string; username: string; roles: Role[]; passwordHash: string };

export type UserState = { status: 'Absent' } | ({ status: 'Active' } & Account) | ({ status: 'Disabled' } & Account);

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

/** Roles sorted in the catalogue's order, without duplicates, so equal sets compare equal. */
function normaliseRoles(roles: unknown): Role[] {
  if (!Array.isArray(roles) || roles.length === 0) invalid('roles', 'at least one role is needed');
  roles.forEach((role, i) => requireOneOf(`roles[${i}]`, role, ROLES));
  return ROLES.filter((role) => roles.includes(role));
}

function requireActive(state: UserState, userId: string): Extract<UserState, { status: 'Active' }> {
  if (state.status === 'Absent') throw new DomainError('NOT_FOUND', `user ${userId} does not exist`, { userId });
  if (state.status === 'Disabled') throw new DomainError('USER_DISABLED', `user ${userId} is disabled`, { userId });
  return state;
}

function decide(command: UserCommand, state: UserState): UserEvent[] {
  const metadata = eventMetadata(command);
  switch (command.type) {
    case 'RegisterUser': {
      const { userId, username, passwordHash } = command.data;
      if (state.status !== 'Absent') throw new DomainError('ALREADY_EXISTS', `user ${userId} already exists`, { userId });
      requireText('userId', userId, 200);
      if (typeof username !== 'string' || !USERNAME.test(username)) {
        invalid('username', '3–64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
      }
      requireText('passwordHash', passwordHash, 1000);
      const roles = normaliseRoles(command.data.roles);
      return [{ type: 'UserRegistered', data: { userId, username, roles, passwordHash }, metadata }];
    }
    case 'ChangeUserRoles': {
      const user = requireActive(state, command.data.userId);
      const roles = normaliseRoles(command.data.roles);
      if (roles.join() === user.roles.join()) return [];
      return [{ type: 'UserRolesChanged', data: { userId: user.userId, roles, previousRoles: user.roles }, metadata }];
    }
    case 'ChangeUserPassword': {
      const user = requireActive(state, command.data.userId);
      requireText('passwordHash', command.data.passwordHash, 1000);
      return [{ type: 'UserPasswordChanged', data: { userId: user.userId, passwordHash: command.data.passwordHash }, metadata }];
    }
    case 'DisableUser': {
      if (state.status === 'Disabled') return [];
      const user = requireActive(state, command.data.userId);
      return [{ type: 'UserDisabled', data: { userId: user.userId }, metadata }];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return { status: 'Active', ...event.data };
    case 'UserRolesChanged':
      return state.status === 'Absent' ? state : { ...state, roles: event.data.roles };
    case 'UserPasswordChanged':
      return state.status === 'Absent' ? state : { ...state, passwordHash: event.data.passwordHash };
    case 'UserDisabled':
      return state.status === 'Absent' ? state : { ...state, status: 'Disabled' };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Absent' }),
};
