// GET /images filtered by origin and generator version, and GET /images/generators, on PostgreSQL.
import { bearer, startHarness, type Harness } from '../testing/api-harness';
import { registerGeneratedImages, registerTestImages } from '../testing/image-fixtures';

jest.setTimeout(60_000);

describe('images by generator version', () => {
  let h: Harness;
  let real: string[];
  let first: string[];
  let second: string[];

  beforeAll(async () => {
    h = await startHarness('images_by_generator');
    real = await registerTestImages(h, 2);
    first = await registerGeneratedImages(h, 'generator-1', ['drusen near the macula', 'enlarged cup', 'hard exudates']);
    second = await registerGeneratedImages(h, 'generator-2', ['cotton-wool spots', 'flame haemorrhages']);
  });
  afterAll(() => h?.close());

  const list = (query: string, token = h.tokens.operator) => h.http.get(`/images${query}`).set(bearer(token));

  it('lists only the images one generator version made, in registration order, with their prompt and version', async () => {
    const res = await list('?generatorVersion=generator-1').expect(200);
    expect(res.body.total).toBe(3);
    expect(res.body.items.map((i: { imageId: string }) => i.imageId)).toEqual(first);
    expect(res.body.items.map((i: { caption: string; origin: string; generatorVersion: string }) => [i.caption, i.origin, i.generatorVersion])).toEqual([
      ['drusen near the macula', 'synthetic', 'generator-1'],
      ['enlarged cup', 'synthetic', 'generator-1'],
      ['hard exudates', 'synthetic', 'generator-1'],
    ]);
    const paged = await list('?generatorVersion=generator-1&offset=1&limit=1').expect(200);
    expect([paged.body.total, paged.body.items.map((i: { imageId: string }) => i.imageId)]).toEqual([3, [first[1]]]);
    expect((await list('?generatorVersion=generator-9').expect(200)).body).toEqual({ total: 0, items: [] });
  });

  it('filters by origin, and combines filters', async () => {
    const synthetic = await list('?origin=synthetic').expect(200);
    expect(synthetic.body.items.map((i: { imageId: string }) => i.imageId)).toEqual([...first, ...second]);
    const realOnly = await list('?origin=real').expect(200);
    expect(realOnly.body.items.map((i: { imageId: string; generatorVersion: null }) => [i.imageId, i.generatorVersion])).toEqual(real.map((id) => [id, null]));
    expect((await list('?origin=real&generatorVersion=generator-2').expect(200)).body.total).toBe(0);
    expect((await list('?origin=synthetic&generatorVersion=generator-2').expect(200)).body.total).toBe(2);
  });

  it('counts images per generator version', async () => {
    const res = await h.http.get('/images/generators').set(bearer(h.tokens.auditor)).expect(200);
    expect(res.body.map((g: { generatorVersion: string; count: number }) => [g.generatorVersion, g.count])).toEqual([
      ['generator-1', 3],
      ['generator-2', 2],
    ]);
    for (const g of res.body) expect(g.lastAt >= g.firstAt).toBe(true);
  });

  it.each([
    ['an unknown origin', '?origin=fake', /origin/],
    ['two origins', '?origin=real&origin=synthetic', /origin/],
    ['an empty generator version', '?generatorVersion=', /generatorVersion/],
    ['a generator version of 201 characters', `?generatorVersion=${'g'.repeat(201)}`, /generatorVersion/],
    ['a limit of 0', '?limit=0', /limit/],
    ['an unknown parameter', '?generator=generator-1', /unknown field\(s\): generator/],
  ])('refuses %s with a 400 naming the parameter', async (_what, query, field) => {
    const res = await list(query).expect(400);
    expect(res.body.message).toMatch(/^invalid query: /);
    expect(res.body.message).toMatch(field);
  });

  it('keeps experts out of the lists', async () => {
    await list('?generatorVersion=generator-1', h.tokens.expert).expect(403);
    await h.http.get('/images/generators').set(bearer(h.tokens.expert)).expect(403);
  });
});
