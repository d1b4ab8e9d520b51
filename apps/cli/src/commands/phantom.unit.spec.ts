import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { main } from '../main';

async function forge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += c.toString()), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += c.toString()), true));
  try {
    const code = await main(['node', 'forge', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('forge phantom', () => {
  it('writes N PNG files and a CSV that parses, with paths relative to it', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forge-phantom-')), 'set');
    const r = await forge(['phantom', '--count', '4', '--size', '40', '--out', dir, '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 phantoms/);
    const pngs = fs.readdirSync(path.join(dir, 'images')).filter((f) => f.endsWith('.png'));
    expect(pngs).toHaveLength(4);
    const rows = parse(fs.readFileSync(path.join(dir, 'phantoms.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(fs.readFileSync(path.join(dir, row.path)).subarray(1, 4).toString()).toBe('PNG');
      expect(row.text).toBeTruthy();
    }
    // The same folder again would overwrite a dataset: refused.
    const again = await forge(['phantom', '--count', '1', '--size', '40', '--out', dir]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('names the bad argument', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-phantom-'));
    for (const [args, msg] of [
      [['--count', '0', '--size', '64', '--out', dir], /--count must be an integer from 1/],
      [['--count', '2', '--size', '1000', '--out', dir], /--size must be an integer from 32 to 512, got '1000'/],
      [['--count', '2', '--size', 'abc', '--out', dir], /--size/],
      [['--count', '2', '--size', '64'], /--out is required/],
      [['--count', '2', '--size', '64', '--out', dir, '--seed', '-1'], /--seed/],
    ] as [string[], RegExp][]) {
      const r = await forge(['phantom', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
