import { specification } from '../testing/specification';
import { at, written } from '../testing/fixtures';
import { expertDecider } from './expert.decider';
import type { ExpertEvent } from '../events';

const spec = specification(expertDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const registered: ExpertEvent = { type: 'ExpertRegistered', data: { expertId: 'e1', userId: 'u1', displayName: 'Dr A', level: 'senior' }, metadata: written(T0) };
const estimate = (upToPosition: number, reliability = 0.9) => ({
  type: 'EstimateExpertReliability' as const,
  data: { expertId: 'e1', reliability, method: 'dawid-skene', ratingsUsed: 40, upToPosition },
  metadata: at(T0),
});

describe('expert decider', () => {
  it('registers once', () => {
    const cmd = { type: 'RegisterExpert' as const, data: { expertId: 'e1', userId: 'u1', displayName: 'Dr A', level: 'senior' }, metadata: at(T0) };
    spec.given([]).when(cmd).then([registered]);
    spec.given([registered]).when(cmd).thenThrows('ALREADY_EXISTS');
  });

  it('records reliability estimates moving forward only, in [0,1]', () => {
    const first = spec.given([registered]).when(estimate(100)).events();
    expect(first).toHaveLength(1);
    spec.given([registered, ...first]).when(estimate(100, 0.5)).then([]);
    expect(spec.given([registered, ...first]).when(estimate(101)).events()).toHaveLength(1);
    spec.given([registered]).when(estimate(100, 1.2)).thenThrows('INVALID_INPUT');
    spec.given([]).when(estimate(100)).thenThrows('NOT_FOUND');
  });
});
