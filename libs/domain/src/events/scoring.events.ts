import type { Event } from '../shared/event';

/** Stream `image-<id>`. Score in [0,1] (normalised rating), uncertainty ≥ 0 (ensemble spread). */
export type SelectorScored = Event<
  'SelectorScored',
  { imageId: string; selectorVersion: string; score: number; uncertainty: number }
>;

/** Stream `image-<id>`. Image–prompt alignment in [0,1]. */
export type AlignmentScored = Event<'AlignmentScored', { imageId: string; policyVersion: string; score: number }>;

export type ScoringEvent = SelectorScored | AlignmentScored;
