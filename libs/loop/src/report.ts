import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EventStore } from '@forge/event-store';
import { contactSheet, rgbImage } from '@forge/imaging';
import { imageQualityNames, meanCI } from '@forge/metrics';
import { meanImageQuality, readEvaluation } from './evaluation';
import { generatorIterations, readHistory } from './history';
import type { Pixels } from './pixels';

/** One row of report.json: the fixed fields, plus 95% intervals and the paired change against iteration 0. */
export interface ReportIteration {
  generatorVersion: string;
  judgeQuality: number;
  judgeMatch: number;
  fdFundus: number;
  kid: number;
  selectorSpearman: number | null;
  policyAuc: number | null;
  promoted: boolean;
  judgeQualityCI: [number, number];
  judgeMatchCI: [number, number];
  /** Paired mean difference to iteration 0 on the same prompts and seeds, with its 95% interval. */
  judgeQualityVsIteration0: { mean: number; low: number; high: number } | null;
  judgeMatchVsIteration0: { mean: number; low: number; high: number } | null;
  reason: string | null;
}

export interface LoopReport {
  iterations: ReportIteration[];
}

const REPORT_KEYS = ['generatorVersion', 'judgeQuality', 'judgeMatch', 'fdFundus', 'kid', 'selectorSpearman', 'policyAuc', 'promoted'] as const;

/** Problems with a parsed report.json against the published shape (empty when it fits). */
export function reportShapeProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { iterations?: unknown }).iterations)) return ['report.json: "iterations" must be an array'];
  (value as { iterations: unknown[] }).iterations.forEach((row, i) => {
    const r = row as Record<string, unknown>;
    for (const key of REPORT_KEYS) {
      const v = r[key];
      const ok = key === 'generatorVersion' ? typeof v === 'string' && v.length > 0 : key === 'promoted' ? typeof v === 'boolean' : key === 'selectorSpearman' || key === 'policyAuc' ? v === null || (typeof v === 'number' && Number.isFinite(v)) : typeof v === 'number' && Number.isFinite(v);
      if (!ok) problems.push(`report.json: iterations[${i}].${key} is ${JSON.stringify(v)}`);
    }
  });
  return problems;
}

function paired(a: readonly number[], b: readonly number[]) {
  if (a.length !== b.length || a.length < 2) return null;
  const ci = meanCI(a.map((x, i) => x - b[i]));
  return { mean: ci.estimate, low: ci.low, high: ci.high };
}

/** report.json rows from the record and the cached evaluations (per-sample judge figures). */
export async function buildReport(store: EventStore, dataDir: string): Promise<LoopReport> {
  const rows = generatorIterations(await readHistory(store));
  const base = rows.length ? readEvaluation(dataDir, rows[0].version) : undefined;
  return {
    iterations: rows.map((r) => {
      const m = r.metrics;
      const e = readEvaluation(dataDir, r.version);
      return {
        generatorVersion: r.version,
        judgeQuality: m.judgeQuality,
        judgeMatch: m.judgeMatch,
        fdFundus: m.fdFundus,
        kid: m.kid,
        selectorSpearman: m.selectorSpearman ?? null,
        policyAuc: m.policyAuc ?? null,
        promoted: r.status === 'promoted' || r.status === 'retired',
        judgeQualityCI: [m.judgeQualityLow, m.judgeQualityHigh],
        judgeMatchCI: [m.judgeMatchLow, m.judgeMatchHigh],
        judgeQualityVsIteration0: e && base ? paired(e.record.judgeQuality, base.record.judgeQuality) : null,
        judgeMatchVsIteration0: e && base ? paired(e.record.judgeMatch, base.record.judgeMatch) : null,
        reason: r.reason,
      };
    }),
  };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

/** Judge quality and match per iteration with 95% intervals, as an inline SVG. */
function judgePlot(rows: readonly ReportIteration[]): string {
  const w = 560;
  const h = 240;
  const pad = 40;
  const x = (i: number) => pad + (rows.length <= 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (rows.length - 1));
  const y = (v: number) => h - pad - Math.max(0, Math.min(1, v)) * (h - 2 * pad);
  const series = (key: 'judgeQuality' | 'judgeMatch', ci: 'judgeQualityCI' | 'judgeMatchCI', colour: string, dx: number) =>
    rows
      .map((r, i) => {
        const [lo, hi] = r[ci];
        const bar = Number.isFinite(lo) && Number.isFinite(hi) ? `<line x1="${x(i) + dx}" x2="${x(i) + dx}" y1="${y(lo)}" y2="${y(hi)}" stroke="${colour}" stroke-width="2"/>` : '';
        return `${bar}<circle cx="${x(i) + dx}" cy="${y(r[key])}" r="4" fill="${colour}"><title>${key} ${num(r[key])} [${num(lo)}, ${num(hi)}]</title></circle>`;
      })
      .join('') + `<polyline fill="none" stroke="${colour}" stroke-opacity="0.5" points="${rows.map((r, i) => `${x(i) + dx},${y(r[key])}`).join(' ')}"/>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((v) => `<line x1="${pad}" x2="${w - pad}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v}</text>`).join('');
  const labels = rows.map((r, i) => `<text x="${x(i)}" y="${h - pad + 16}" text-anchor="middle" font-size="11">${i}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="judge score per iteration">${ticks}${labels}${series('judgeQuality', 'judgeQualityCI', '#b03a2e', -4)}${series('judgeMatch', 'judgeMatchCI', '#1f618d', 4)}<text x="${w / 2}" y="${h - 4}" text-anchor="middle" font-size="11">iteration</text><text x="${w - pad}" y="14" text-anchor="end" font-size="11"><tspan fill="#b03a2e">● judge quality</tspan>  <tspan fill="#1f618d">● judge match</tspan> (95% intervals)</text></svg>`;
}

const asRgb = (p: Pixels) => rgbImage(p.width, p.height, new Uint8Array(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength));

/**
 * Writes `<outDir>/report.json` and `<outDir>/index.html` (with one contact sheet PNG per
 * iteration), from the record, the cached evaluations and the real held-out images.
 */
export async function writeReport(store: EventStore, dataDir: string, outDir: string, realHeldOut: readonly Pixels[]): Promise<LoopReport> {
  const report = await buildReport(store, dataDir);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');

  const sections: string[] = [];
  const qualityColumns: { name: string; values: Record<string, number> }[] = [{ name: 'real (held-out)', values: meanImageQuality(realHeldOut) }];
  for (const [i, row] of report.iterations.entries()) {
    const e = readEvaluation(dataDir, row.generatorVersion);
    if (!e) continue;
    const file = `iteration-${i}.png`;
    const shown = e.images.slice(0, 12);
    fs.writeFileSync(path.join(outDir, file), await contactSheet(shown.map((p, k) => ({ image: asRgb(p), caption: e.record.prompts[k] })), { columns: 6, tileSize: 128, captionLines: 3 }));
    qualityColumns.push({ name: row.generatorVersion, values: e.record.imageQuality });
    sections.push(
      `<section><h3>Iteration ${i}: ${esc(row.generatorVersion)} — ${row.promoted ? 'promoted' : 'rejected'}</h3><p>${esc(row.reason ?? '')}</p><p>judge quality ${num(row.judgeQuality)} [${num(row.judgeQualityCI[0])}, ${num(row.judgeQualityCI[1])}], judge match ${num(row.judgeMatch)} [${num(row.judgeMatchCI[0])}, ${num(row.judgeMatchCI[1])}]</p><img src="${file}" alt="generated samples of ${esc(row.generatorVersion)} on the held-out prompts"></section>`,
    );
  }
  const header = ['iteration', 'version', 'judge quality [95%]', 'judge match [95%]', 'Δ quality vs 0 [95%]', 'Δ match vs 0 [95%]', 'FD-fundus', 'KID', 'selector ρ', 'policy AUC', 'promoted'];
  const metricRows = report.iterations.map((r, i) => {
    const delta = (d: ReportIteration['judgeQualityVsIteration0']) => (d ? `${num(d.mean)} [${num(d.low)}, ${num(d.high)}]` : 'n/a');
    return `<tr><td>${i}</td><td>${esc(r.generatorVersion)}</td><td>${num(r.judgeQuality)} [${num(r.judgeQualityCI[0])}, ${num(r.judgeQualityCI[1])}]</td><td>${num(r.judgeMatch)} [${num(r.judgeMatchCI[0])}, ${num(r.judgeMatchCI[1])}]</td><td>${delta(r.judgeQualityVsIteration0)}</td><td>${delta(r.judgeMatchVsIteration0)}</td><td>${num(r.fdFundus)}</td><td>${num(r.kid, 4)}</td><td>${num(r.selectorSpearman)}</td><td>${num(r.policyAuc)}</td><td>${r.promoted ? 'yes' : 'no'}</td></tr>`;
  });
  const qualityTable = `<table><tr><th>measure</th>${qualityColumns.map((c) => `<th>${esc(c.name)}</th>`).join('')}</tr>${imageQualityNames.map((n) => `<tr><td>${n}</td>${qualityColumns.map((c) => `<td>${num(c.values[n], 4)}</td>`).join('')}</tr>`).join('')}</table>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fundus Forge loop report</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}</style></head><body>
<h1>Fundus Forge — self-improvement loop</h1>
<p>Every generator version is sampled on the same held-out prompts and seeds; the held-out judge (never trained against) scores each sample. FD-fundus and KID are measured in the feature space of a fundus encoder trained once on real phantoms and frozen; they are not comparable with Inception-based FID. Selector ρ (Spearman with the panel's quality consensus) and policy AUC (aligned vs not) are those of the versions serving after the iteration, on the validation ratings that never train either model.</p>
<h2>Judge score per iteration</h2>${judgePlot(report.iterations)}
<h2>Metrics</h2><table><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr>${metricRows.join('')}</table>
<h2>Image quality: real vs generated</h2><p>The five measures (SNR, contrast, sharpness, vessel visibility, uniformity), mean over the images.</p>${qualityTable}
<h2>Samples per iteration</h2>${sections.join('\n')}
</body></html>
`;
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
  return report;
}
