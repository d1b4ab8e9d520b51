import type { Event } from '../shared/event';

/** Stream `expert-<id>`. An expert is a rater; `userId` links the account that logs in as them. */
export type ExpertRegistered = Event<
  'ExpertRegistered',
  { expertId: string; userId: string | null; displayName: string; level: string }
>;

/** Stream `expert-<id>`. Reliability in [0,1] from ratings up to a global position. */
export type ExpertReliabilityEstimated = Event<
  'ExpertReliabilityEstimated',
  { expertId: string; reliability: number; method: string; ratingsUsed: number; upToPosition: number }
>;

export type ExpertEvent = ExpertRegistered | ExpertReliabilityEstimated;
