import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bearer, startHarness, storedEventCount, type Harness } from '../testing/api-harness';
import { fundusPng } from '../testing/fundus-png';

// Start-up hashes passwords and creates a database; a busy shared machine needs more than Jest's 5 s.
jest.setTimeout(60_000);

describe('dataset import over HTTP', () => {
  let h: Harness;
  const eventCount = () => storedEventCount(h);

  beforeAll(async () => {
    h = await startHarness('imports', { FORGE_MAX_UPLOAD_BYTES: String(400_000) });
  });
  afterAll(() => h?.close());

  it('imports a CSV upload with its images, all or nothing; a bad row → 400 naming file/row/reason and nothing appended', async () => {
    const [a, b] = [await fundusPng(0), await fundusPng(30)];
    const before = await eventCount();
    const bad = await h.http
      .post('/imports/datasets/upload')
      .set(bearer(h.tokens.operator))
      .field('reason', 'first real batch')
      .attach('csv', Buffer.from('path,text,modality\na.png,Normal fundus,fundus\nb.png,,fundus\n'), 'batch.csv')
      .attach('images', a, 'a.png')
      .attach('images', b, 'b.png')
      .expect(400);
    expect(bad.body.code).toBe('INVALID_INPUT');
    expect(bad.body.problems).toEqual([expect.objectContaining({ file: 'batch.csv', row: 2, field: 'text', reason: 'empty text' })]);
    expect(await eventCount()).toBe(before);

    const missing = await h.http
      .post('/imports/datasets/upload')
      .set(bearer(h.tokens.operator))
      .field('reason', 'first real batch')
      .attach('csv', Buffer.from('path,text,modality\na.png,Normal fundus,fundus\nc.png,Drusen,fundus\n'), 'batch.csv')
      .attach('images', a, 'a.png')
      .expect(400);
    expect(missing.body.problems[0]).toMatchObject({ file: 'batch.csv', row: 2 });
    expect(missing.body.problems[0].reason).toMatch(/c\.png/);
    expect(await eventCount()).toBe(before);

    const ok = await h.http
      .post('/imports/datasets/upload')
      .set(bearer(h.tokens.operator))
      .field('reason', 'first real batch')
      .attach('csv', Buffer.from('path,text,modality,grade\na.png,Normal fundus,fundus,0\nb.png,Mild NPDR,fundus,1\n'), 'batch.csv')
      .attach('images', a, 'a.png')
      .attach('images', b, 'b.png')
      .expect(201);
    expect(ok.body.imageCount).toBe(2);
    expect(await eventCount()).toBe(before + 3);
    const images = await h.http.get('/images').set(bearer(h.tokens.auditor)).expect(200);
    expect(images.body.items.map((i: { caption: string }) => i.caption)).toEqual(['Normal fundus', 'Mild NPDR']);
    const stream = await h.http.get(`/audit/streams/${ok.body.streamId}`).set(bearer(h.tokens.auditor)).expect(200);
    expect(stream.body.events[0].metadata).toMatchObject({ actor: { kind: 'operator', id: 'operator-user' }, reason: 'first real batch' });
    const png = await h.http.get(`/images/${images.body.items[0].imageId}/file`).set(bearer(h.tokens.operator)).expect(200);
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses a second import of the same dataset with 409', async () => {
    const a = await fundusPng(60);
    const send = () =>
      h.http.post('/imports/datasets/upload').set(bearer(h.tokens.admin)).field('reason', 'twice').attach('csv', Buffer.from('path,text,modality\nz.png,Glaucoma,fundus\n'), 'z.csv').attach('images', a, 'z.png');
    await send().expect(201);
    await send().expect(409);
  });

  it('server paths: inside the root imported; `..`, absolute and symlinks out refused', async () => {
    const root = h.config.importRoot;
    fs.mkdirSync(path.join(root, 'set1'));
    fs.writeFileSync(path.join(root, 'set1', 'p.png'), await fundusPng(90));
    fs.writeFileSync(path.join(root, 'set1', 'set1.csv'), 'path,text,modality\np.png,Cotton-wool spots,fundus\n');
    const ok = await h.http.post('/imports/datasets/server-path').set(bearer(h.tokens.operator)).send({ path: 'set1/set1.csv', reason: 'from the share' }).expect(201);
    expect(ok.body.imageCount).toBe(1);

    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-outside-'));
    fs.writeFileSync(path.join(outside, 'x.csv'), 'path,text,modality\np.png,x,fundus\n');
    fs.symlinkSync(path.join(outside, 'x.csv'), path.join(root, 'link.csv'));
    fs.symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'set1', 'escape.png'));
    fs.writeFileSync(path.join(outside, 'secret.png'), await fundusPng(100));
    fs.writeFileSync(path.join(root, 'set1', 'escape.csv'), 'path,text,modality\nescape.png,x,fundus\n');
    const before = await eventCount();
    const dotdot = await h.http.post('/imports/datasets/server-path').set(bearer(h.tokens.operator)).send({ path: '../x.csv', reason: 'sneaky' }).expect(400);
    expect(dotdot.body.issues[0].path).toBe('path');
    await h.http.post('/imports/datasets/server-path').set(bearer(h.tokens.operator)).send({ path: path.join(outside, 'x.csv'), reason: 'sneaky' }).expect(400);
    await h.http.post('/imports/datasets/server-path').set(bearer(h.tokens.operator)).send({ path: 'link.csv', reason: 'sneaky' }).expect(403);
    const imageOut = await h.http.post('/imports/datasets/server-path').set(bearer(h.tokens.operator)).send({ path: 'set1/escape.csv', reason: 'sneaky' }).expect(400);
    expect(imageOut.body.problems[0].reason).toMatch(/outside the import root/);
    expect(await eventCount()).toBe(before);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('an upload over the size limit → 413; a JSON body instead of multipart → 400', async () => {
    const big = Buffer.alloc(500_000, 1);
    const res = await h.http.post('/imports/datasets/upload').set(bearer(h.tokens.operator)).field('reason', 'too big').attach('csv', Buffer.from('path,text,modality\nq.png,x,fundus\n'), 'q.csv').attach('images', big, 'q.png');
    expect(res.status).toBe(413);
    await h.http.post('/imports/datasets/upload').set(bearer(h.tokens.operator)).send({ csv: 'x' }).expect(400);
  });

  it("imports MINIM's ratings CSV with its images: a rating of 4 → 400 naming row and field, nothing appended; then rated tasks", async () => {
    const [g1, g2] = [await fundusPng(120), await fundusPng(140)];
    const header = 'image_path,rating,modality,expert_level,prompt\n';
    const before = await eventCount();
    const bad = await h.http
      .post('/imports/ratings/upload')
      .set(bearer(h.tokens.operator))
      .field('reason', 'MINIM ratings')
      .attach('csv', Buffer.from(header + 'gen/1.png,3,fundus,senior,Normal fundus\ngen/2.png,4,fundus,junior,Drusen\n'), 'ratings.csv')
      .attach('images', g1, '1.png')
      .attach('images', g2, '2.png')
      .expect(400);
    expect(bad.body.problems).toEqual([expect.objectContaining({ file: 'ratings.csv', row: 2, field: 'rating' })]);
    expect(await eventCount()).toBe(before);

    const ok = await h.http
      .post('/imports/ratings/upload')
      .set(bearer(h.tokens.operator))
      .field('reason', 'MINIM ratings')
      .attach('csv', Buffer.from(header + 'gen/1.png,3,fundus,senior,Normal fundus\ngen/2.png,1,fundus,junior,Drusen\ngen/1.png,2,fundus,junior,Normal fundus\n'), 'ratings.csv')
      .attach('images', g1, '1.png')
      .attach('images', g2, '2.png')
      .expect(201);
    expect(ok.body).toMatchObject({ imageCount: 2, ratingCount: 3 });
    const tasks = await h.http.get('/tasks?status=Completed').set(bearer(h.tokens.auditor)).expect(200);
    expect(tasks.body.total).toBe(3);
    const ratings = [];
    for (const t of tasks.body.items as { taskId: string }[]) {
      const stream = await h.http.get(`/audit/streams/task-${t.taskId}`).set(bearer(h.tokens.auditor)).expect(200);
      ratings.push(...stream.body.events.filter((e: { type: string }) => e.type === 'RatingSubmitted').map((e: { data: { expertId: string; quality: number } }) => `${e.data.expertId}:${e.data.quality}`));
    }
    expect(ratings.sort()).toEqual(['minim-junior:1', 'minim-junior:2', 'minim-senior:3']);
  });
});
