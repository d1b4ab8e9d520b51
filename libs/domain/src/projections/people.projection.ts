import type { Role } from '../events';
import type { Projection } from './projection';

/** A user account as the API needs it to log someone in (the hash is needed there and nowhere else). */
export type UserView = { userId: string; username: string; roles: Role[]; disabled: boolean; passwordHash: string; registeredAt: string };

export const usersProjection: Projection<UserView, 'UserRegistered' | 'UserRolesChanged' | 'UserPasswordChanged' | 'UserDisabled'> = {
  name: 'users',
  canHandle: ['UserRegistered', 'UserRolesChanged', 'UserPasswordChanged', 'UserDisabled'],
  documentId: (event) => event.data.userId,
  evolve(doc, event) {
    if (event.type === 'UserRegistered') {
      const { userId, username, roles, passwordHash } = event.data;
      return { userId, username, roles, passwordHash, disabled: false, registeredAt: event.metadata.occurredAt };
    }
    if (doc === null) return null;
    switch (event.type) {
      case 'UserRolesChanged':
        return { ...doc, roles: event.data.roles };
      case 'UserPasswordChanged':
        return { ...doc, passwordHash: event.data.passwordHash };
      case 'UserDisabled':
        return { ...doc, disabled: true };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

/** Finds an account by its username (usernames are unique; the API checks before registering). */
export function findUserByName(users: Record<string, UserView>, username: string): UserView | undefined {
  return Object.values(users).find((user) => user.username === username);
}

export type ExpertView = {
  expertId: string;
  userId: string | null;
  displayName: string;
  level: string;
  reliability: number | null;
  reliabilityMethod: string | null;
  ratingCount: number;
};

export const expertsProjection: Projection<ExpertView, 'ExpertRegistered' | 'ExpertReliabilityEstimated' | 'RatingSubmitted' | 'RatingRetracted'> = {
  name: 'experts',
  canHandle: ['ExpertRegistered', 'ExpertReliabilityEstimated', 'RatingSubmitted', 'RatingRetracted'],
  documentId: (event) => event.data.expertId,
  evolve(doc, event) {
    const current: ExpertView = doc ?? {
      expertId: event.data.expertId,
      userId: null,
      displayName: event.data.expertId,
      level: 'unknown',
      reliability: null,
      reliabilityMethod: null,
      ratingCount: 0,
    };
    switch (event.type) {
      case 'ExpertRegistered':
        return { ...current, userId: event.data.userId, displayName: event.data.displayName, level: event.data.level };
      case 'ExpertReliabilityEstimated':
        return { ...current, reliability: event.data.reliability, reliabilityMethod: event.data.method };
      case 'RatingSubmitted':
        return { ...current, ratingCount: current.ratingCount + 1 };
      case 'RatingRetracted':
        return { ...current, ratingCount: Math.max(0, current.ratingCount - 1) };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};
