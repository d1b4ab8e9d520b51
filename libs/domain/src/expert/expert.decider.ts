import type { ExpertEvent } from '../events';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { eventMetadata, type Command } from '../shared/event';
import { requireInRange, requireInt, requireText } from '../shared/guards';

export type RegisterExpert = Command<'RegisterExpert', { expertId: string; userId: string | null; displayName: string; level: string }>;
export type EstimateExpertReliability = Command<
  'EstimateExpertReliability',
  { expertId: string; reliability: number; method: string; ratingsUsed: number; upToPosition: number }
>;

export type ExpertCommand = RegisterExpert | EstimateExpertReliability;

export type ExpertState =
  | { status: 'Absent' }
  | {
      status: 'Registered';
      expertId: string;
      userId: string | null;
      level: string;
      reliability: number | null;
      /** Global position up to which the last estimate looked. */
      estimatedUpTo: number;
    };

function decide(command: ExpertCommand, state: ExpertState): ExpertEvent[] {
  const metadata = eventMetadata(command);
  switch (command.type) {
    case 'RegisterExpert': {
      const { expertId, userId, displayName, level } = command.data;
      if (state.status !== 'Absent') throw new DomainError('ALREADY_EXISTS', `expert ${expertId} already exists`, { expertId });
      requireText('expertId', expertId, 200);
      if (userId !== null) requireText('userId', userId, 200);
      requireText('displayName', displayName, 200);
      requireText('level', level, 100);
      return [{ type: 'ExpertRegistered', data: { expertId, userId, displayName, level }, metadata }];
    }
    case 'EstimateExpertReliability': {
      const { expertId, reliability, method, ratingsUsed, upToPosition } = command.data;
      if (state.status === 'Absent') throw new DomainError('NOT_FOUND', `expert ${expertId} does not exist`, { expertId });
      requireInRange('reliability', reliability, 0, 1);
      requireText('method', method, 100);
      requireInt('ratingsUsed', ratingsUsed, 0);
      requireInt('upToPosition', upToPosition, 0);
      // Estimates move forward through the log; a redelivered older estimate changes nothing.
      if (upToPosition <= state.estimatedUpTo) return [];
      return [{ type: 'ExpertReliabilityEstimated', data: { expertId, reliability, method, ratingsUsed, upToPosition }, metadata }];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: ExpertState, event: ExpertEvent): ExpertState {
  switch (event.type) {
    case 'ExpertRegistered':
      return {
        status: 'Registered',
        expertId: event.data.expertId,
        userId: event.data.userId,
        level: event.data.level,
        reliability: null,
        estimatedUpTo: -1,
      };
    case 'ExpertReliabilityEstimated':
      return state.status === 'Absent'
        ? state
        : { ...state, reliability: event.data.reliability, estimatedUpTo: event.data.upToPosition };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const expertDecider: Decider<ExpertState, ExpertCommand, ExpertEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Absent' }),
};
