import { StreamHeadCache } from './stream-heads';

describe('StreamHeadCache', () => {
  it('forgets the least recently used stream beyond its capacity', () => {
    const cache = new StreamHeadCache(2);
    cache.set('a', { version: 1, hash: 'ha' });
    cache.set('b', { version: 1, hash: 'hb' });
    expect(cache.get('a')).toEqual({ version: 1, hash: 'ha' }); // a is now the most recent
    cache.set('c', { version: 1, hash: 'hc' });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.hash).toBe('ha');
    expect(cache.get('c')?.hash).toBe('hc');
  });

  it('replaces and deletes heads', () => {
    const cache = new StreamHeadCache();
    cache.set('a', { version: 1, hash: 'h1' });
    cache.set('a', { version: 2, hash: 'h2' });
    expect(cache.get('a')).toEqual({ version: 2, hash: 'h2' });
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
