import { specification } from '../testing/specification';
import { at, written } from '../testing/fixtures';
import { generationDecider } from './generation.decider';

const spec = specification(generationDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const data = { requestId: 'g1', prompt: 'moderate NPDR with hard exudates', count: 8, generatorVersion: 'gen-1', seed: 42, steps: 50, guidance: 3 };
const request = (change: Partial<typeof data> = {}) => ({ type: 'RequestGeneration' as const, data: { ...data, ...change }, metadata: at(T0) });
const requested = { type: 'GenerationRequested' as const, data, metadata: written(T0) };

describe('generation decider', () => {
  it('records a request once; the same request again is no event, other parameters a conflict', () => {
    spec.given([]).when(request()).then([requested]);
    spec.given([requested]).when(request()).then([]);
    spec.given([requested]).when(request({ seed: 43 })).thenThrows('CONFLICT');
  });

  it('refuses a zero count, a negative seed and an empty prompt', () => {
    spec.given([]).when(request({ count: 0 })).thenThrows('INVALID_INPUT');
    spec.given([]).when(request({ seed: -1 })).thenThrows('INVALID_INPUT');
    spec.given([]).when(request({ prompt: '' })).thenThrows('INVALID_INPUT');
  });
});
