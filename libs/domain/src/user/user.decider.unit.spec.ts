import { specification } from '../testing/specification';
import { at, written } from '../testing/fixtures';
import { userDecider } from './user.decider';
import type { UserEvent } from '../events';

const spec = specification(userDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u1', username: 'grader.one', roles: ['expert'], passwordHash: 'scrypt$abc' },
  metadata: written(T0),
};
const disabled: UserEvent = { type: 'UserDisabled', data: { userId: 'u1' }, metadata: written(T0) };

describe('user decider', () => {
  it('registers a user with roles in catalogue order, without duplicates', () => {
    spec
      .given([])
      .when({ type: 'RegisterUser', data: { userId: 'u1', username: 'ada', roles: ['admin', 'expert', 'admin'], passwordHash: 'scrypt$x' }, metadata: at(T0) })
      .then([{ type: 'UserRegistered', data: { userId: 'u1', username: 'ada', roles: ['expert', 'admin'], passwordHash: 'scrypt$x' }, metadata: written(T0) }]);
  });

  it('refuses a duplicate, unknown roles, no roles and bad usernames', () => {
    const cmd = { type: 'RegisterUser' as const, data: { userId: 'u1', username: 'ada', roles: ['expert' as const], passwordHash: 'h' }, metadata: at(T0) };
    spec.given([registered]).when(cmd).thenThrows('ALREADY_EXISTS');
    spec.given([]).when({ ...cmd, data: { ...cmd.data, roles: ['root' as never] } }).thenThrows('INVALID_INPUT');
    spec.given([]).when({ ...cmd, data: { ...cmd.data, roles: [] } }).thenThrows('INVALID_INPUT');
    spec.given([]).when({ ...cmd, data: { ...cmd.data, username: '../x' } }).thenThrows('INVALID_INPUT');
  });

  it('changes roles, and changing to the same set is no event', () => {
    spec
      .given([registered])
      .when({ type: 'ChangeUserRoles', data: { userId: 'u1', roles: ['operator', 'expert'] }, metadata: at(T0) })
      .then([{ type: 'UserRolesChanged', data: { userId: 'u1', roles: ['expert', 'operator'], previousRoles: ['expert'] }, metadata: written(T0) }]);
    spec.given([registered]).when({ type: 'ChangeUserRoles', data: { userId: 'u1', roles: ['expert'] }, metadata: at(T0) }).then([]);
  });

  it('disables once; a disabled or unknown user cannot change', () => {
    spec.given([registered]).when({ type: 'DisableUser', data: { userId: 'u1' }, metadata: at(T0) }).then([disabled]);
    spec.given([registered, disabled]).when({ type: 'DisableUser', data: { userId: 'u1' }, metadata: at(T0) }).then([]);
    spec.given([registered, disabled]).when({ type: 'ChangeUserRoles', data: { userId: 'u1', roles: ['admin'] }, metadata: at(T0) }).thenThrows('USER_DISABLED');
    spec.given([]).when({ type: 'ChangeUserPassword', data: { userId: 'u1', passwordHash: 'h2' }, metadata: at(T0) }).thenThrows('NOT_FOUND');
  });
});
