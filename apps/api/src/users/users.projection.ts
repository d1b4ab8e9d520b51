import type { RecordedEvent } from '../store/port';
import type { Role, UserEvent } from '@forge/domain';
import type { Projection } from '../read-model/projection';

export interface UserView {
  username: string;
  roles: Role[];
  disabled: boolean;
  passwordHash: string;
  registeredAt: string;
}

export class UsersProjection implements Projection {
  readonly handles = new Set(['UserRegistered', 'UserRolesChanged', 'UserPasswordChanged', 'UserDisabled']);
  readonly byName = new Map<string, UserView>();

  apply(recorded: RecordedEvent): void {
    const event = recorded as unknown as UserEvent;
    if (event.type === 'UserRegistered') {
      const d = event.data;
      this.byName.set(d.userId, { username: d.username, roles: d.roles, disabled: false, passwordHash: d.passwordHash, registeredAt: recorded.recordedAt });
      return;
    }
    const user = this.byName.get(event.data.userId);
    if (!user) return;
    if (event.type === 'UserRolesChanged') user.roles = event.data.roles;
    else if (event.type === 'UserPasswordChanged') user.passwordHash = event.data.passwordHash;
    else if (event.type === 'UserDisabled') user.disabled = true;
  }

  anyActiveAdmin(): boolean {
    for (const u of this.byName.values()) if (!u.disabled && u.roles.includes('admin')) return true;
    return false;
  }
}
