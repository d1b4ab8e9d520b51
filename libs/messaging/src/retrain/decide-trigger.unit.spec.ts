import { deterministicUuid } from '../deterministic-id';
import { countRating, emptyCounter, runIdFor, type RatingCounter } from './decide-trigger';
import { retrainJobPayload } from './retrain-jobs';

describe('deterministicUuid', () => {
  it('is stable, shaped as an RFC 9562 version-8 uuid, and separates its parts', () => {
    const a = deterministicUuid('retraining', 'selector', 42);
    expect(a).toBe(deterministicUuid('retraining', 'selector', 42));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('a1', 2)).not.toBe(deterministicUuid('a', 12));
    expect(runIdFor('selector', 42)).not.toBe(runIdFor('policy', 42));
    expect(runIdFor('selector', 42)).not.toBe(runIdFor('selector', 43));
  });
});

describe('countRating', () => {
  function feed(positions: number[], threshold: number) {
    let counter: RatingCounter = emptyCounter('selector');
    const triggers = [];
    for (const p of positions) {
      const r = countRating(counter, p, threshold);
      counter = r.counter;
      if (r.trigger) triggers.push(r.trigger);
    }
    return { counter, triggers };
  }

  it('triggers once per threshold crossing with the highest position counted and resets', () => {
    const { counter, triggers } = feed([1, 2, 5, 4, 7, 9, 10], 3);
    expect(triggers).toEqual([
      { runId: runIdFor('selector', 5), model: 'selector', upToPosition: 5, newRatings: 3, threshold: 3 },
      { runId: runIdFor('selector', 9), model: 'selector', upToPosition: 9, newRatings: 3, threshold: 3 },
    ]);
    expect(counter).toEqual({ model: 'selector', ratingsSinceTraining: 1, maxPosition: 10 });
  });

  it('the same ratings in the same order give the same run ids (a redelivery decides the same)', () => {
    expect(feed([3, 8, 11, 12], 2).triggers).toEqual(feed([3, 8, 11, 12], 2).triggers);
  });

  it('refuses a threshold that is not a positive integer', () => {
    expect(() => countRating(emptyCounter('policy'), 1, 0)).toThrow(RangeError);
    expect(() => countRating(emptyCounter('policy'), 1, 2.5)).toThrow(/positive integer/);
  });

  it('the job payload schema accepts the trigger and rejects a bad one', () => {
    const t = feed([1, 2], 2).triggers[0];
    const { threshold, ...payload } = t;
    expect(threshold).toBe(2);
    expect(retrainJobPayload.parse(payload)).toEqual(payload);
    expect(retrainJobPayload.safeParse({ ...t, newRatings: 0 }).success).toBe(false);
    expect(retrainJobPayload.safeParse({ ...t, model: 'judge' }).success).toBe(false);
  });
});
