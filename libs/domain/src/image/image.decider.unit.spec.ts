import { specification } from '../testing/specification';
import { at, SHA_A, SHA_B, written } from '../testing/fixtures';
import { imageDecider } from './image.decider';

const spec = specification(imageDecider);
const T0 = '2026-01-01T10:00:00.000Z';
const generate = (sha256 = SHA_A) => ({
  type: 'RegisterGeneratedImage' as const,
  data: { imageId: 'g1', requestId: 'r1', prompt: 'drusen near the macula', seed: 7, generatorVersion: 'gen-1', sha256, width: 64, height: 64, modality: 'fundus', labels: {} },
  metadata: at(T0),
});
const score = (selectorVersion: string, value: number) => ({
  type: 'RecordSelectorScore' as const,
  data: { imageId: 'g1', selectorVersion, score: value, uncertainty: 0.1 },
  metadata: at(T0),
});

describe('image decider', () => {
  it('registers a generated image as synthetic, with its prompt as caption', () => {
    const events = spec.given([]).when(generate()).events();
    expect(events.map((e) => e.type)).toEqual(['ImageGenerated', 'ImageRegistered']);
    expect(events[1].data).toMatchObject({ imageId: 'g1', origin: 'synthetic', datasetId: null, caption: 'drusen near the macula' });
  });

  it('ignores a redelivered generation and refuses other content under the same id', () => {
    const history = imageDecider.decide(generate(), imageDecider.initialState());
    spec.given(history).when(generate()).then([]);
    spec.given(history).when(generate(SHA_B)).thenThrows('ALREADY_EXISTS');
  });

  it('records one selector score per version; the first one stands', () => {
    spec.given([]).when(score('sel-1', 0.75)).then([
      { type: 'SelectorScored', data: { imageId: 'g1', selectorVersion: 'sel-1', score: 0.75, uncertainty: 0.1 }, metadata: written(T0) },
    ]);
    const first = imageDecider.decide(score('sel-1', 0.75), imageDecider.initialState());
    spec.given(first).when(score('sel-1', 0.2)).then([]);
    expect(spec.given(first).when(score('sel-2', 0.2)).events()).toHaveLength(1);
  });

  it('refuses scores outside [0,1]', () => {
    spec.given([]).when(score('sel-1', 1.5)).thenThrows('INVALID_INPUT');
    spec.given([]).when({ type: 'RecordAlignmentScore', data: { imageId: 'g1', policyVersion: 'p1', score: Number.NaN }, metadata: at(T0) }).thenThrows('INVALID_INPUT');
  });
});
