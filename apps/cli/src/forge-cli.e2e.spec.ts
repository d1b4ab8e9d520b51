import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, TestDatabase } from '@forge/event-store';

// The CLI as a user runs it: a separate process per command, a data folder of its own.
const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'apps/cli/bin/forge.js');

function forge(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function eventCount(env: Record<string, string>): number {
  const out = forge(env, 'audit', '--json');
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout).summary.events;
}

describe('forge on embedded PGlite', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-cli-'));
    env = { FORGE_DATA_DIR: dataDir, DATABASE_URL: '' };
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('imports the shipped dataset, seals it with verify --seal, and audit summarises it', () => {
    const imported = forge(env, 'import', 'samples/phantom-mini/phantoms.csv');
    expect(imported.stderr).not.toMatch(/forge: /);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported dataset \S+: 16 images/);
    expect(forge(env, 'verify', '--seal').code).toBe(0);
    const audit = forge(env, 'audit');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/hash chains: intact \(17 events, 1 streams, 1 seals checked\)/);
    expect(audit.stdout).toMatch(/ImageRegistered\s+16/);
    expect(fs.readdirSync(path.join(dataDir, 'images')).length).toBeGreaterThan(0);
  });

  it('a second import of the same dataset is refused and adds nothing', () => {
    const out = forge(env, 'import', 'samples/phantom-mini/phantoms.csv');
    expect(out.code).toBe(3);
    expect(eventCount(env)).toBe(17);
  });

  it('a bad CSV is refused with file, row and reason, and nothing is appended', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-bad-'));
    fs.copyFileSync(path.join(root, 'samples/phantom-mini/images/phantom-00.png'), path.join(dir, 'ok.png'));
    fs.writeFileSync(path.join(dir, 'broken.png'), Buffer.from('not a png at all'));
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'path,text,modality\nok.png,Normal fundus,fundus\nbroken.png,Glaucoma,fundus\nmissing.png,AMD,fundus\n');
    const out = forge(env, 'import', path.join(dir, 'bad.csv'));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/bad\.csv, row 2, field 'path'/);
    expect(out.stderr).toMatch(/bad\.csv, row 3, field 'path': image file 'missing\.png' does not exist/);
    expect(out.stderr).toMatch(/nothing was imported/);
    expect(eventCount(env)).toBe(17);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replay as of a past position gives the same bytes every time, and differs from now', () => {
    const a = forge(env, 'replay', '--as-of', '5');
    const b = forge(env, 'replay', '--as-of', '5');
    const now = forge(env, 'replay');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).asOf.events).toBe(5);
    expect(Object.keys(JSON.parse(a.stdout).images)).toHaveLength(4);
    expect(now.stdout).not.toBe(a.stdout);
    expect(forge(env, 'replay', '--as-of', 'yesterday').code).toBe(2);
  });

  it('export writes every event with a hash chain an auditor can recompute links of', () => {
    const out = forge(env, 'export');
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(17);
    for (let i = 1; i < lines.length; i++) expect(lines[i].prevHash).toBe(lines[i - 1].hash);
    expect(lines[0].prevHash).toMatch(/^0{64}$/);
  });
});

describe('forge demo', () => {
  let dataDir: string;
  let outDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-demo-'));
    outDir = path.join(dataDir, 'report');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs the loop from nothing to a report, then verifies, seals and summarises the record', () => {
    const env = { FORGE_DATA_DIR: dataDir, DATABASE_URL: '' };
    const out = forge(env, 'demo', '--preset', 'tiny', '--iterations', '2', '--out', outDir);
    expect(out.stderr).not.toMatch(/forge: /);
    expect(out.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as { iterations: Record<string, unknown>[] };
    expect(report.iterations).toHaveLength(3);
    for (const row of report.iterations) {
      for (const field of ['generatorVersion', 'judgeQuality', 'judgeMatch', 'fdFundus', 'kid', 'selectorSpearman', 'policyAuc', 'promoted']) expect(row).toHaveProperty(field);
    }
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).toMatch(/generator-0/);
    expect(out.stdout).toMatch(/sealed the record up to position \d+/);
    expect(out.stdout).toMatch(/hash chains: intact/);
    expect(out.stdout).toMatch(/TrainingCompleted\s+\d+/);
  });

  it('refuses a bad iteration count before loading anything', () => {
    const out = forge({ FORGE_DATA_DIR: dataDir, DATABASE_URL: '' }, 'demo', '--iterations', 'many');
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--iterations must be an integer from 0 to 1000, got 'many'/);
  });
});

describe('forge on a PostgreSQL server', () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase('forge_cli');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-cli-pg-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports, verifies and exports through DATABASE_URL', () => {
    const env = { FORGE_DATA_DIR: dataDir, DATABASE_URL: db.url };
    const imported = forge(env, 'import', 'samples/phantom-mini/phantoms.csv', '--size', '64');
    expect(imported.stderr).not.toMatch(/forge: /);
    expect(imported.code).toBe(0);
    const verified = forge(env, 'verify', '--json');
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, events: 17, streams: 1 });
    expect(forge(env, 'import', 'samples/phantom-mini/phantoms.csv', '--size', '64').code).toBe(3);
  });
});
