// Users as an event-sourced aggregate on stream `user-<username>`, using the domain's user events.
// @forge/domain defines the events but (so far) no user decider, so the decider lives here, pure.
import { DomainError, eventMetadata, ROLES, type Command, type Decider, type Role, type UserEvent } from '@forge/domain';

export type UserCommand =
  | Command<'RegisterUser', { username: string; roles: Role[]; passwordHash: string }>
  | Command<'ChangeUserRoles', { username: string; roles: Role[] }>
  | Command<'DisableUser', { username: string }>;

export type UserState =
  | { status: 'None' }
  | { status: 'Active' | 'Disabled'; username: string; roles: Role[]; passwordHash: string };

export const USERNAME = /^[a-z][a-z0-9._-]{1,39}$/;

function checkRoles(roles: Role[]): Role[] {
  const unique = [...new Set(roles)].sort();
  if (unique.length === 0 || unique.some((r) => !ROLES.includes(r))) {
    throw new DomainError('INVALID_INPUT', `roles must be a non-empty subset of ${ROLES.join(', ')}`, { field: 'roles' });
  }
  return unique;
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: () => ({ status: 'None' }),

  decide(command, state) {
    const metadata = eventMetadata(command);
    const { username } = command.data;
    switch (command.type) {
      case 'RegisterUser': {
        if (state.status !== 'None') throw new DomainError('ALREADY_EXISTS', `user '${username}' already exists`, { username });
        if (!USERNAME.test(username)) throw new DomainError('INVALID_INPUT', `username '${username}' must match ${USERNAME}`, { field: 'username' });
        const roles = checkRoles(command.data.roles);
        return [{ type: 'UserRegistered', data: { userId: username, username, roles, passwordHash: command.data.passwordHash }, metadata }];
      }
      case 'ChangeUserRoles': {
        if (state.status === 'None') throw new DomainError('NOT_FOUND', `no user '${username}'`, { username });
        if (state.status === 'Disabled') throw new DomainError('USER_DISABLED', `user '${username}' is disabled`, { username });
        const roles = checkRoles(command.data.roles);
        if (roles.join() === state.roles.join()) return [];
        return [{ type: 'UserRolesChanged', data: { userId: username, roles, previousRoles: state.roles }, metadata }];
      }
      case 'DisableUser': {
        if (state.status === 'None') throw new DomainError('NOT_FOUND', `no user '${username}'`, { username });
        if (state.status === 'Disabled') return [];
        return [{ type: 'UserDisabled', data: { userId: username }, metadata }];
      }
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { status: 'Active', username: event.data.username, roles: event.data.roles, passwordHash: event.data.passwordHash };
      case 'UserRolesChanged':
        return state.status === 'None' ? state : { ...state, roles: event.data.roles };
      case 'UserPasswordChanged':
        return state.status === 'None' ? state : { ...state, passwordHash: event.data.passwordHash };
      case 'UserDisabled':
        return state.status === 'None' ? state : { ...state, status: 'Disabled' };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};
