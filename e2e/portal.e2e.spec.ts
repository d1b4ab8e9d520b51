// The portal in a real browser against the real API on PostgreSQL: an expert rates by keyboard,
// undoes, an auditor rebuilds the past and verifies the chain, and roles are enforced on both sides.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openPostgresEventStore, type RecordedEvent } from '@forge/event-store';
import { encodePngWithSharp, renderPhantom } from '@forge/phantom';
import type { BrowserContext, Page } from 'playwright-core';
import {
  ADMIN,
  ApiClient,
  seedGeneratedImages,
  seedGeneratorVersions,
  seedPhantomTasks,
  seedSelectorVersions,
  seedTrainingRun,
  startPortalStack,
  type GeneratedImageFixture,
  type PortalStack,
} from '@forge/system-harness';

const SAMPLES = path.resolve(__dirname, '../samples/phantom-mini');
const ARTIFACTS = path.resolve(__dirname, '../test-artifacts/portal');
const EXPERT = { username: 'expert.ana', password: 'expert-password-1' };
const AUDITOR = { username: 'auditor.bo', password: 'auditor-password-1' };
const OPERATOR = { username: 'operator.cy', password: 'operator-password-1' };

jest.setTimeout(60_000);

let stack: PortalStack;
let context: BrowserContext;
let page: Page;
/** taskId → the rating typed for it. */
const typed = new Map<string, { quality: number; alignment: number }>();
/** A moment after the first ten ratings and before anything else happened. */
let afterTenRatings: Date;

async function allEvents(): Promise<RecordedEvent[]> {
  const store = await openPostgresEventStore(stack.databaseUrl, { max: 1 });
  try {
    return await store.readAll({ limit: 100_000 });
  } finally {
    await store.close();
  }
}

async function signIn(p: Page, who: { username: string; password: string }, landing: string) {
  await p.goto(`${stack.portalUrl}/login`);
  await p.locator('#username').fill(who.username);
  await p.locator('#password').fill(who.password);
  await p.locator('#password').press('Enter');
  await p.waitForURL(`${stack.portalUrl}${landing}`);
}

const shoot = (p: Page, name: string, fullPage = false) => p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });

/** The task whose image is on screen, once it differs from `previous`. */
async function shownTask(previous: string | null): Promise<string> {
  const img = page.getByTestId('task-image');
  await page.waitForFunction((prev) => {
    const el = document.querySelector('[data-testid="task-image"]') as HTMLImageElement | null;
    return !!el && el.complete && el.naturalWidth > 0 && el.dataset.taskId !== prev;
  }, previous);
  return (await img.getAttribute('data-task-id'))!;
}

const queueIdle = () => page.evaluate(() => (window as unknown as { forgeQueueIdle(): Promise<unknown> }).forgeQueueIdle());

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const redisUrl = process.env.FORGE_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('FORGE_TEST_REDIS_URL is not set: start the services with `infra/services.sh up` and source the env file it prints');
  // Redis for the job-queue board; a prefix of its own, so the board shows only this run's queues.
  const apiEnv = { REDIS_URL: redisUrl, FORGE_JOBS_PREFIX: `forge-e2e-${randomBytes(4).toString('hex')}` };
  stack = await startPortalStack({ importRoot: SAMPLES, label: 'portal_e2e', apiEnv });
  process.stderr.write(`portal build: ${stack.build.built ? `built in ${(stack.build.ms / 1000).toFixed(1)} s` : 'reused (sources unchanged)'}\n`);
  const admin = await ApiClient.login(stack.apiUrl, ADMIN.username, ADMIN.password);
  await admin.createUser(EXPERT.username, EXPERT.password, ['expert']);
  await admin.createUser(AUDITOR.username, AUDITOR.password, ['auditor']);
  await admin.createUser(OPERATOR.username, OPERATOR.password, ['operator']);
  const operator = await ApiClient.login(stack.apiUrl, OPERATOR.username, OPERATOR.password);
  await seedPhantomTasks(operator, 'phantoms.csv', 14);
  context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  page = await context.newPage();
}, 300_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await stack?.stop();
}, 60_000);

it('an expert rates 10 images by keyboard only and the 10 RatingSubmitted events carry the typed values', async () => {
  await page.goto(`${stack.portalUrl}/login`);
  await shoot(page, 'login');
  await signIn(page, EXPERT, '/queue');
  let previous: string | null = null;
  for (let i = 0; i < 10; i++) {
    const taskId = await shownTask(previous);
    if (i === 0) {
      await page.keyboard.press('+'); // zoom in and back: the keys reach the viewer
      await page.keyboard.press('0');
      await shoot(page, 'queue');
    }
    const rating = { quality: (i % 3) + 1, alignment: ((i + 1) % 3) + 1 };
    await page.keyboard.press(String(rating.quality));
    await page.keyboard.press(String(rating.alignment));
    await page.keyboard.press('Enter');
    typed.set(taskId, rating);
    previous = taskId;
  }
  await queueIdle();
  await page.getByTestId('status').filter({ hasText: 'Saved' }).waitFor();

  const ratings = (await allEvents()).filter((e) => e.type === 'RatingSubmitted');
  expect(ratings).toHaveLength(10);
  const stored = new Map(ratings.map((e) => [e.data.taskId as string, { quality: e.data.quality, alignment: e.data.alignment }]));
  expect(stored).toEqual(typed);
  for (const e of ratings) {
    expect(e.data.expertId).toBe(EXPERT.username);
    expect(e.data.msSpent).toBeGreaterThanOrEqual(0);
  }
  // Every image shown had been preloaded: no rating waited for a claim.
  const distinctImages = new Set(ratings.map((e) => e.data.imageId));
  expect(distinctImages.size).toBe(10);

  // A clean second boundary, so "as of" this moment holds exactly these ten ratings.
  afterTenRatings = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  await new Promise((r) => setTimeout(r, afterTenRatings.getTime() - Date.now() + 1100));
});

it('Z undoes the last rating (RatingRetracted, the image comes back) and S skips (LabelTaskReleased)', async () => {
  const first = await shownTask(null);
  await page.keyboard.press('3');
  await page.keyboard.press('1');
  await page.keyboard.press('Enter');
  const second = await shownTask(first);
  expect(second).not.toBe(first);
  await queueIdle();
  await page.keyboard.press('z');
  const back = await shownTask(second);
  expect(back).toBe(first);
  await page.getByTestId('status').filter({ hasText: 'undone' }).waitFor();
  await queueIdle();
  const events = await allEvents();
  const retracted = events.filter((e) => e.type === 'RatingRetracted');
  expect(retracted.map((e) => e.data.taskId)).toEqual([first]);
  // Rated again after the undo: the new value is the one that counts.
  await page.keyboard.press('2');
  await page.keyboard.press('2');
  await page.keyboard.press('Enter');
  const current = await shownTask(first);
  await queueIdle();
  const again = (await allEvents()).filter((e) => e.type === 'RatingSubmitted' && e.data.taskId === first);
  expect(again.map((e) => [e.data.quality, e.data.alignment])).toEqual([
    [3, 1],
    [2, 2],
  ]);

  // S gives the task back unrated and shows the next one.
  await page.keyboard.press('s');
  const afterSkip = await shownTask(current);
  expect(afterSkip).not.toBe(current);
  await page.getByTestId('status').filter({ hasText: 'Skipped' }).waitFor();
  await queueIdle();
  const released = (await allEvents()).filter((e) => e.type === 'LabelTaskReleased');
  expect(released.map((e) => e.data.taskId)).toEqual([current]);
});

it('an expert cannot open the auditor, operator or admin pages, and the API refuses the calls', async () => {
  for (const route of ['/audit', '/models', '/admin']) {
    await page.goto(`${stack.portalUrl}${route}`);
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByRole('heading', { name: 'Forbidden' }).isVisible()).toBe(true);
    if (route === '/audit') await shoot(page, 'forbidden-expert');
  }
  const statuses = await page.evaluate(async () => {
    const token = (JSON.parse(sessionStorage.getItem('forge.session')!) as { token: string }).token;
    const get = async (url: string, init: RequestInit = {}) => (await fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })).status;
    return {
      events: await get('/api/audit/events'),
      state: await get('/api/audit/state?asOfPosition=1'),
      verify: await get('/api/audit/verify'),
      models: await get('/api/models'),
      users: await get('/api/users'),
      sign: await get('/api/signatures', { method: 'POST', body: JSON.stringify({ stream: 'user-root', revision: 1, meaning: 'review', password: 'x' }) }),
    };
  });
  expect(statuses).toEqual({ events: 403, state: 403, verify: 403, models: 403, users: 403, sign: 403 });
});

it('an auditor rebuilds the state as of a past moment, verifies the chain and signs a record', async () => {
  const auditor = await context.browser()!.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  const p = await auditor.newPage();
  try {
    await signIn(p, AUDITOR, '/audit');
    await p.getByText(/[1-9]\d* events loaded\./).waitFor();
    await p.locator('#as-of-time').fill(afterTenRatings.toISOString().slice(0, 19));
    await p.getByRole('button', { name: 'Rebuild state' }).click();
    const result = p.getByTestId('state-result');
    await result.waitFor();
    expect(await p.getByTestId('state-ratings').textContent()).toBe('10');
    const total = (await allEvents()).length;
    expect(Number(await result.getAttribute('data-events'))).toBeLessThan(total);

    await p.getByRole('button', { name: 'Verify the hash chains' }).click();
    const verdict = p.getByTestId('verify-result');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-ok')).toBe('true');
    expect(await verdict.textContent()).toContain('PASS');

    await p.locator('#f-type').selectOption('RatingRetracted');
    await p.getByTestId('timeline-count').filter({ hasText: /^1 of/ }).waitFor();
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export selection (JSON lines)' }).click()]);
    const lines = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedEvent);
    const stored = (await allEvents()).find((e) => e.type === 'RatingRetracted')!;
    expect(lines.map((l) => [l.type, l.hash, l.prevHash])).toEqual([[stored.type, stored.hash, stored.prevHash]]);
    await p.locator('#stream-id').fill('user-root');
    await p.getByRole('button', { name: 'Show history' }).click();
    await p.getByRole('button', { name: 'Sign user-root revision 1' }).click();
    await p.locator('#sig-meaning').selectOption('review');
    await p.locator('#sig-password').fill(AUDITOR.password);
    await p.getByRole('button', { name: 'Sign record' }).click();
    await p.getByTestId('signature-result').waitFor();
    await shoot(p, 'audit', true);
    const signed = (await allEvents()).filter((e) => e.type === 'SignatureApplied');
    expect(signed).toHaveLength(1);
    const root = (await allEvents()).find((e) => e.streamId === 'user-root' && e.streamVersion === 1)!;
    expect(signed[0].data).toMatchObject({ stream: 'user-root', revision: 1, hash: root.hash, signer: AUDITOR.username, meaning: 'review' });
  } finally {
    await auditor.close();
  }
});

it('an operator follows a training run, sees model versions with a plot and promotes one with a signature; the admin page lists users', async () => {
  const day = (d: number) => new Date(Date.UTC(2026, 10, d, 12)).toISOString();
  await seedSelectorVersions(stack.databaseUrl, [
    { version: 'sel-1', at: day(20), metrics: { spearman: 0.41, ece: 0.09 }, passed: true },
    { version: 'sel-2', at: day(23), metrics: { spearman: 0.55, ece: 0.07 }, passed: true },
    { version: 'sel-3', at: day(26), metrics: { spearman: 0.62, ece: 0.05 }, passed: true },
  ]);
  await seedTrainingRun(stack.databaseUrl, { runId: 'selector-upto-60', model: 'selector', plannedSteps: 200, checkpoints: [{ step: 50, loss: 0.31 }, { step: 100, loss: 0.24 }] });
  const ctx = await context.browser()!.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  const p = await ctx.newPage();
  try {
    await signIn(p, OPERATOR, '/models');
    await p.getByRole('progressbar', { name: 'selector-upto-60: step 100 of 200' }).waitFor();
    expect(await p.getByTestId('training-runs').textContent()).toContain('loss 0.240');
    await p.locator('#metric-selector').selectOption('spearman');
    await p.getByRole('img', { name: /spearman over time: sel-1 0.410, sel-2 0.550, sel-3 0.620/ }).waitFor();
    await p.locator('#selector-version').selectOption('sel-3');
    await p.locator('#selector-action').selectOption('promote');
    await p.locator('#selector-reason').fill('best Spearman so far');
    await p.locator('#selector-password').fill(OPERATOR.password);
    await p.getByRole('button', { name: 'Sign and promote' }).click();
    await p.getByText(/sel-3 promoted; signed at revision/).waitFor();
    await p.getByText('serving: sel-3').waitFor();
    await shoot(p, 'models', true);
    const events = await allEvents();
    const promoted = events.filter((e) => e.type === 'ModelVersionPromoted');
    expect(promoted.map((e) => e.data.version)).toEqual(['sel-3']);
    const signature = events.filter((e) => e.type === 'SignatureApplied' && e.data.stream === 'model-selector');
    expect(signature).toHaveLength(1);
    const promotion = promoted[0];
    expect(signature[0].data).toMatchObject({ revision: promotion.streamVersion, hash: promotion.hash, signer: OPERATOR.username, meaning: 'approval' });

    await p.evaluate(() => sessionStorage.clear());
    await signIn(p, ADMIN, '/admin');
    await p.getByRole('cell', { name: EXPERT.username, exact: true }).waitFor();
    await shoot(p, 'admin');

    // bull-board through the portal: the session POST sets the cookie, the page and its API calls go through /api.
    await p.getByRole('button', { name: 'Open job queues' }).click();
    await p.waitForURL(`${stack.portalUrl}/api/admin/queues`);
    await p.getByText('train-selector').first().waitFor();
    await shoot(p, 'job-queues');
    const anonymous = await context.request.get(`${stack.portalUrl}/api/admin/queues/api/queues`);
    expect(anonymous.status()).toBe(401);

    // Signing out of the portal ends the board session too: the cookie is gone and the board refuses this browser.
    const boardApi = `${stack.portalUrl}/api/admin/queues/api/queues`;
    expect((await ctx.request.get(boardApi)).status()).toBe(200);
    await p.goto(`${stack.portalUrl}/admin`);
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.waitForURL(`${stack.portalUrl}/login`);
    expect((await ctx.cookies()).map((c) => c.name)).not.toContain('forge_queue_board');
    expect((await ctx.request.get(boardApi)).status()).toBe(401);
    await p.goto(`${stack.portalUrl}/api/admin/queues`);
    expect(await p.locator('body').textContent()).toMatch(/401|no bearer token|sign in/i);
  } finally {
    await ctx.close();
  }
});

/** Phantom fundus photographs standing in for a generator's output: their captions are the prompts. */
async function generatedImages(firstSeed: number, count: number): Promise<GeneratedImageFixture[]> {
  const out: GeneratedImageFixture[] = [];
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const phantom = renderPhantom({ seed, size: 96 });
    out.push({ prompt: phantom.caption, seed, png: await encodePngWithSharp(phantom.rgb, 96, 96), width: 96, height: 96 });
  }
  return out;
}

it("an operator sees the loop's status and, per generator version, a grid of the images it made", async () => {
  const day = (d: number) => new Date(Date.UTC(2026, 11, d, 12)).toISOString();
  await seedGeneratorVersions(stack.databaseUrl, [
    { version: 'generator-0', at: day(1), metrics: { iteration: 0, judgeQuality: 0.41, judgeMatch: 0.38 }, decision: { action: 'promote', reason: 'the pretrained baseline' } },
    { version: 'generator-1', at: day(3), metrics: { iteration: 1, judgeQuality: 0.52, judgeMatch: 0.44 }, decision: { action: 'promote', reason: 'judge quality +0.11 [0.05, 0.17]' } },
    { version: 'generator-2', at: day(5), metrics: { iteration: 2, judgeQuality: 0.47, judgeMatch: 0.45 }, decision: { action: 'reject', reason: 'judge quality -0.05 [-0.09, -0.01] against generator-1' } },
  ]);
  const serving = await generatedImages(5000, 26);
  const servingIds = await seedGeneratedImages(stack, 'generator-1', serving);
  const rejectedIds = await seedGeneratedImages(stack, 'generator-2', await generatedImages(6000, 3));

  const ctx = await context.browser()!.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  const p = await ctx.newPage();
  try {
    await signIn(p, OPERATOR, '/models');
    // The loop: latest iteration, the last decision with its reason, and the ratings since the last trigger.
    await p.getByTestId('loop-iteration').filter({ hasText: 'iteration 2' }).waitFor();
    expect(await p.getByTestId('loop-iteration').textContent()).toMatch(/generator-2\s*rejected.*judgeQuality 0\.470, judgeMatch 0\.450/s);
    expect(await p.getByTestId('loop-decision').textContent()).toMatch(/generator generator-2\s*rejected by system test-fixture.*reason: judge quality -0\.05 \[-0\.09, -0\.01\] against generator-1/s);
    expect(await p.getByTestId('loop-training').textContent()).toContain('selector run selector-upto-60 at step 100 of 200');
    const ratings = (await allEvents()).filter((e) => e.type === 'RatingSubmitted').length;
    expect(await p.getByTestId('loop-retraining').textContent()).toContain(`generator: ${ratings} new ratings since the start (never retrained)`);

    // The grid opens on the serving version: a first page of 24 of its 26 images, each with its prompt.
    const grid = p.getByTestId('generator-grid');
    await p.locator('#grid-version').scrollIntoViewIfNeeded();
    await grid.and(p.locator('[data-version="generator-1"]')).waitFor();
    expect(await p.locator('#grid-version').inputValue()).toBe('generator-1');
    const allLoaded = () =>
      p.waitForFunction(() => {
        // Every thumbnail is an <img> once its file has arrived (a placeholder until then), and decoded.
        const items = document.querySelectorAll('[data-testid="generator-grid"] li').length;
        const imgs = Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid="generator-grid"] img'));
        return items > 0 && imgs.length === items && imgs.every((img) => img.complete && img.naturalWidth === 96);
      });
    await allLoaded();
    expect(await grid.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('data-image-id')))).toEqual(servingIds.slice(0, 24));
    expect(await grid.locator('figcaption').allTextContents()).toEqual(serving.slice(0, 24).map((s) => s.prompt));
    expect(await grid.locator('img').first().getAttribute('alt')).toBe('Generated fundus image 1 of 26 by generator-1');
    await p.getByText('Showing images 1–24 of 26 by generator-1.').waitFor();
    await p.screenshot({ path: path.join(ARTIFACTS, 'models-generator-grid.png'), fullPage: true });
    await grid.scrollIntoViewIfNeeded();
    await shoot(p, 'models-generator-grid-viewport');

    // Keyboard only: the version selector, then Previous (disabled, skipped), then Next.
    await p.locator('#grid-version').focus();
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Next 24');
    await p.keyboard.press('Enter');
    await p.getByText('Showing images 25–26 of 26 by generator-1.').waitFor();
    await allLoaded();
    expect(await grid.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('data-image-id')))).toEqual(servingIds.slice(24));

    // Another version from the selector: the rejected one shows only its own images.
    await p.locator('#grid-version').selectOption('generator-2');
    await grid.and(p.locator('[data-version="generator-2"]')).waitFor();
    await allLoaded();
    expect(await grid.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('data-image-id')))).toEqual(rejectedIds);
    expect(await p.locator('#grid-version option').allTextContents()).toEqual(['generator-0 (retired, 0 images)', 'generator-1 (serving, 26 images)', 'generator-2 (rejected, 3 images)']);
  } finally {
    await ctx.close();
  }
});
