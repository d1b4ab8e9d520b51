import type { RecordedEvent } from '../store/port';
import { LoopStatusFold } from './loop-status';

let position = 0;
/** A recorded event; `at` sets its global position (default: one above the highest so far). */
function recorded(streamId: string, type: string, data: Record<string, unknown>, meta: Record<string, unknown> = {}, at?: number): RecordedEvent {
  position = Math.max(position, at ?? 0) + 1;
  return {
    id: `e${position}`,
    type,
    data,
    metadata: { actor: { kind: 'system', id: 'loop' }, correlationId: 'c', occurredAt: `2026-11-01T00:00:${String(position % 60).padStart(2, '0')}Z`, schemaVersion: 1, ...meta },
    streamId,
    streamVersion: 1,
    position: at ?? position,
    transactionId: String(position),
    hash: 'h',
    prevHash: 'p',
    recordedAt: '2026-11-01T00:00:00Z',
  } as unknown as RecordedEvent;
}

const generator = (type: string, data: Record<string, unknown>, meta?: Record<string, unknown>) => recorded('model-generator', type, { model: 'generator', ...data }, meta);
const rating = (at?: number) => recorded(`task-${at}`, 'RatingSubmitted', { taskId: 't', quality: 2, alignment: 2 }, {}, at);

function fold(events: RecordedEvent[]) {
  const f = new LoopStatusFold();
  events.forEach((e) => f.apply(e));
  return f.status();
}

beforeEach(() => {
  position = 0;
});

describe('LoopStatusFold', () => {
  it('reports nothing for an empty record', () => {
    expect(fold([])).toEqual({
      iterations: 0,
      latestIteration: null,
      serving: { selector: null, policy: null, generator: null },
      lastDecision: null,
      retraining: ['selector', 'policy', 'generator'].map((model) => ({ model, ratingsSinceLastTrigger: 0, lastTrigger: null })),
      ratings: 0,
    });
  });

  it('numbers iterations by the evaluation, and names the last decision with its reason and actor', () => {
    const s = fold([
      generator('GeneratorRefined', { version: 'generator-0' }),
      generator('EvaluationCompleted', { modelVersion: 'generator-0', metrics: { iteration: 0, judgeQuality: 0.4 }, passed: true, notes: 'baseline' }),
      generator('ModelVersionPromoted', { version: 'generator-0', replaces: null }, { reason: 'the pretrained baseline' }),
      generator('GeneratorRefined', { version: 'generator-1' }),
      generator('EvaluationCompleted', { modelVersion: 'generator-1', metrics: { iteration: 1, judgeQuality: 0.5 }, passed: true, notes: 'better' }),
      generator('ModelVersionPromoted', { version: 'generator-1', replaces: 'generator-0' }, { reason: 'judge quality +0.1', actor: { kind: 'operator', id: 'cy' } }),
      generator('GeneratorRefined', { version: 'generator-2' }),
      generator('EvaluationCompleted', { modelVersion: 'generator-2', metrics: { iteration: 2, judgeQuality: 0.45 }, passed: false, notes: 'worse' }),
      generator('ModelVersionRejected', { version: 'generator-2', reason: 'judge quality fell by 0.05' }),
      // A version without an iteration number is no iteration of the loop.
      generator('GeneratorRefined', { version: 'manual' }),
      generator('EvaluationCompleted', { modelVersion: 'manual', metrics: { judgeQuality: 0.9 }, passed: true, notes: '' }),
    ]);
    expect(s.iterations).toBe(3);
    expect(s.latestIteration).toMatchObject({ iteration: 2, version: 'generator-2', status: 'rejected', passed: false, notes: 'worse', metrics: { iteration: 2, judgeQuality: 0.45 } });
    expect(s.serving.generator).toBe('generator-1');
    expect(s.lastDecision).toMatchObject({ model: 'generator', version: 'generator-2', decision: 'rejected', reason: 'judge quality fell by 0.05', actor: { kind: 'system', id: 'loop' } });
  });

  it('a promotion carries the reason recorded with its command; the version it replaces retires', () => {
    const s = fold([
      generator('GeneratorRefined', { version: 'g0' }),
      generator('EvaluationCompleted', { modelVersion: 'g0', metrics: { iteration: 0 }, passed: true, notes: '' }),
      generator('ModelVersionPromoted', { version: 'g0', replaces: null }),
      generator('GeneratorRefined', { version: 'g1' }),
      generator('EvaluationCompleted', { modelVersion: 'g1', metrics: { iteration: 1 }, passed: true, notes: '' }),
      generator('ModelVersionPromoted', { version: 'g1', replaces: 'g0' }, { reason: 'signed by the operator', actor: { kind: 'operator', id: 'cy' } }),
    ]);
    expect(s.lastDecision).toMatchObject({ version: 'g1', decision: 'promoted', reason: 'signed by the operator', actor: { kind: 'operator', id: 'cy' } });
    expect(s.latestIteration?.status).toBe('promoted');
  });

  it('counts ratings above each model’s last trigger position, whatever order the positions arrive in', () => {
    const trigger = (model: string, upToPosition: number, newRatings: number) => recorded(`run-${model}-${upToPosition}`, 'RetrainingTriggered', { runId: `${model}-${upToPosition}`, model, upToPosition, newRatings });
    const s = fold([
      rating(10),
      rating(12),
      rating(11),
      trigger('selector', 12, 3),
      rating(14),
      // Committed late with a lower position than the trigger's: data the run already covered.
      rating(9),
      rating(15),
      // A replayed older trigger does not move the count back.
      trigger('selector', 11, 2),
    ]);
    expect(s.ratings).toBe(6);
    expect(s.retraining.find((r) => r.model === 'selector')).toEqual({ model: 'selector', ratingsSinceLastTrigger: 2, lastTrigger: { runId: 'selector-12', newRatings: 3, upToPosition: 12, at: expect.any(String) } });
    expect(s.retraining.find((r) => r.model === 'policy')).toEqual({ model: 'policy', ratingsSinceLastTrigger: 6, lastTrigger: null });
  });
});
