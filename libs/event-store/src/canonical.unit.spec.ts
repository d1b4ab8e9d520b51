import { createHash } from 'node:crypto';
import { canonicalJson, NotCanonicalisableError } from './canonical';
import { canonicalEventContent, eventHash, GENESIS_HASH, sealHash } from './hash';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('sorts keys by UTF-16 code units, not by locale', () => {
    expect(canonicalJson({ b: 1, B: 2, é: 3, a: 4 })).toBe('{"B":2,"a":4,"b":1,"é":3}');
  });

  it('prints numbers in the shortest round-trip form', () => {
    expect(canonicalJson([1.5, 1.0, 0.1, -0, 1e21, 1e-7, 123456789012345680000, 2 ** 53])).toBe(
      '[1.5,1,0.1,0,1e+21,1e-7,123456789012345680000,9007199254740992]',
    );
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0001é' })).toBe('{"s":"a\\"b\\\\c\\n\\u0001é"}');
  });

  it('drops undefined members like JSON.stringify (and jsonb) would', () => {
    expect(canonicalJson({ a: undefined, b: null, c: [undefined] })).toBe('{"b":null,"c":[null]}');
  });

  it('gives the same text for equal values built in a different key order', () => {
    const a = JSON.parse('{"x":1,"y":{"p":true,"q":[1,2]}}');
    const b = JSON.parse('{"y":{"q":[1,2],"p":true},"x":1.0}');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(NotCanonicalisableError);
    expect(() => canonicalJson({ n: Infinity })).toThrow(/serialise n canonically: Infinity is not a JSON number/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/Date object/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson({ b: BigInt(1) })).toThrow(/bigint/);
  });

  it('names where a nested value cannot be serialised', () => {
    expect(() => canonicalJson({ a: { b: [1, { c: NaN }] } })).toThrow(/serialise a\.b\[1\]\.c canonically: NaN is not a JSON number/);
    expect(() => canonicalJson([{ ok: 1 }, new Map()])).toThrow(/serialise \[1\] canonically: a Map object/);
  });

  it('gives the text JSON.stringify gives for key-sorted plain data', () => {
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    const value = { z: [1, 'two', { y: null, x: [true, false, 0.5, -3] }], a: { c: '', b: { e: [], d: {} } }, m: 'ünïcödé "quoted"' };
    expect(canonicalJson(value)).toBe(JSON.stringify(sorted(value)));
  });
});

describe('eventHash', () => {
  it('hashes the same text canonicalJson gives for the whole content', () => {
    const c = { streamId: 's-"1"', streamVersion: 7, eventId: 'e', type: 'T', data: { z: [1, { b: -0, a: 'é' }], a: null }, metadata: { reason: 'r', actor: {} } };
    expect(canonicalEventContent(c)).toBe(canonicalJson(c));
    expect(() => canonicalEventContent({ ...c, data: { x: [1, NaN] } })).toThrow(/serialise data\.x\[1\] canonically/);
  });

  const e = { streamId: 's-1', streamVersion: 1, eventId: '00000000-0000-4000-8000-000000000001', type: 'T', data: { b: 2, a: 1 }, metadata: {} };

  it('is sha256 over the previous hash and the canonical event (a known value)', () => {
    // The text below is written out by hand, so a change in key order or formatting fails here.
    expect(eventHash(GENESIS_HASH, e)).toBe(createHash('sha256').update(
      GENESIS_HASH + '{"data":{"a":1,"b":2},"eventId":"00000000-0000-4000-8000-000000000001","metadata":{},"streamId":"s-1","streamVersion":1,"type":"T"}',
    ).digest('hex'));
  });

  it('changes with the content, the version and the previous hash, not with key order', () => {
    const h = eventHash(GENESIS_HASH, e);
    expect(eventHash(GENESIS_HASH, { ...e, data: { a: 1, b: 2 } })).toBe(h);
    expect(eventHash(GENESIS_HASH, { ...e, data: { a: 1, b: 3 } })).not.toBe(h);
    expect(eventHash(GENESIS_HASH, { ...e, streamVersion: 2 })).not.toBe(h);
    expect(eventHash('1'.repeat(64), e)).not.toBe(h);
  });
});

describe('sealHash', () => {
  it('depends on every head, their order and the previous seal', () => {
    const heads = [
      { streamId: 'a', streamVersion: 2, hash: 'x' },
      { streamId: 'b', streamVersion: 1, hash: 'y' },
    ];
    const h = sealHash(GENESIS_HASH, '100', heads);
    expect(sealHash(GENESIS_HASH, '100', [heads[0], { ...heads[1], streamVersion: 2 }])).not.toBe(h);
    expect(sealHash(GENESIS_HASH, '100', [...heads].reverse())).not.toBe(h);
    expect(sealHash('f'.repeat(64), '100', heads)).not.toBe(h);
    expect(sealHash(GENESIS_HASH, '101', heads)).not.toBe(h);
    expect(sealHash(GENESIS_HASH, '100', heads)).toBe(h);
  });
});
