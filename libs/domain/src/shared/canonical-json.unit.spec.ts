import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth, so insertion order does not matter', () => {
    const a = { b: 1, a: { z: [{ y: 1, x: 2 }], c: null } };
    const b = { a: { c: null, z: [{ x: 2, y: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('drops undefined members like JSON does and keeps array holes as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('refuses numbers JSON cannot hold, naming where', () => {
    expect(() => canonicalJson({ metrics: { loss: Number.NaN } })).toThrow('$.metrics.loss');
    expect(() => canonicalJson([Infinity])).toThrow('$[0]');
  });
});
