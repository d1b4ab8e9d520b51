import { AggregateCache } from './aggregate-cache';

describe('AggregateCache', () => {
  it('keeps the newest version of a stream: a command finishing late cannot put an older state back', () => {
    const cache = new AggregateCache<string>();
    cache.set('s', 'v4', 4);
    cache.set('s', 'v2', 2);
    expect(cache.get('s')).toEqual({ state: 'v4', version: 4 });
    cache.delete('s');
    cache.set('s', 'v2', 2);
    expect(cache.get('s')).toEqual({ state: 'v2', version: 2 });
  });

  it('drops the least recently used stream beyond its capacity', () => {
    const cache = new AggregateCache<string>(2);
    cache.set('a', 'a', 1);
    cache.set('b', 'b', 1);
    cache.get('a');
    cache.set('c', 'c', 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.state).toBe('a');
    expect(cache.get('c')?.state).toBe('c');
  });
});
