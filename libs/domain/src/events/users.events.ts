import type { Event } from '../shared/event';

export type Role = 'expert' | 'operator' | 'auditor' | 'admin';
export const ROLES: readonly Role[] = ['expert', 'operator', 'auditor', 'admin'];

/** Stream `user-<id>`. `passwordHash` is an encoded scrypt/argon2 hash, never a password. */
export type UserRegistered = Event<
  'UserRegistered',
  { userId: string; username: string; roles: Role[]; passwordHash: string }
>;

export type UserRolesChanged = Event<'UserRolesChanged', { userId: string; roles: Role[]; previousRoles: Role[] }>;

export type UserPasswordChanged = Event<'UserPasswordChanged', { userId: string; passwordHash: string }>;

export type UserDisabled = Event<'UserDisabled', { userId: string }>;

export type UserEvent = UserRegistered | UserRolesChanged | UserPasswordChanged | UserDisabled;
