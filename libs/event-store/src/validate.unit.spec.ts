import { validateAppend } from './validate';

const id = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

describe('validateAppend', () => {
  it('lower-cases ids and keeps the content', () => {
    const [e] = validateAppend('s', [{ id: id.toUpperCase(), type: 'T', data: { a: 1 }, metadata: {} }], 'any');
    expect(e).toEqual({ id, type: 'T', data: { a: 1 }, metadata: {} });
  });

  it.each([
    ['an empty stream id', '', [{ id, type: 'T', data: {}, metadata: {} }], 'any', /stream id/],
    ['an empty batch', 's', [], 'any', /at least one event/],
    ['a bad expected version', 's', [{ id, type: 'T', data: {}, metadata: {} }], -1, /expected version/],
    ['a fractional expected version', 's', [{ id, type: 'T', data: {}, metadata: {} }], 1.5, /expected version/],
    ['a non-uuid id', 's', [{ id: 'x', type: 'T', data: {}, metadata: {} }], 'any', /event #0: id must be a uuid/],
    ['an empty type', 's', [{ id, type: '', data: {}, metadata: {} }], 'any', /type must be/],
    ['array data', 's', [{ id, type: 'T', data: [], metadata: {} }], 'any', /data must be a plain object/],
    ['missing metadata', 's', [{ id, type: 'T', data: {} }], 'any', /metadata must be a plain object/],
  ])('refuses %s with a message naming the stream and event', (_what, stream, events, expected, message) => {
    expect(() => validateAppend(stream as string, events as never, expected as never)).toThrow(message as RegExp);
    try {
      validateAppend(stream as string, events as never, expected as never);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('INVALID_EVENT');
    }
  });
});
