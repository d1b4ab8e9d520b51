import { pickColumn, readCsv } from './csv';
import { IngestError, IngestErrors } from './errors';

/** One image row of a dataset CSV: `path,text,modality` plus optional label columns (MINIM's `Text`/`modal` accepted). */
export interface DatasetRow {
  row: number;
  path: string;
  text: string;
  modality: string;
  labels: Record<string, string>;
}

const MAX_TEXT = 4000;
const MODALITY = /^[A-Za-z][A-Za-z0-9 _-]{0,39}$/;
const LABEL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

export function parseDatasetCsv(text: string, file: string): DatasetRow[] {
  const { header, records } = readCsv(text, file);
  const pathCol = pickColumn(header, ['path', 'image_path', 'image']);
  const textCol = pickColumn(header, ['text', 'caption', 'prompt']);
  const modalityCol = pickColumn(header, ['modality', 'modal']);
  const missing = [!pathCol && 'path', !textCol && 'text', !modalityCol && 'modality'].filter(Boolean);
  if (missing.length) throw new IngestError(file, `missing required column(s): ${missing.join(', ')} (header: ${header.join(',')})`, 0);
  const labelCols = header.filter((h) => h !== pathCol && h !== textCol && h !== modalityCol);
  const badLabel = labelCols.find((c) => !LABEL_NAME.test(c));
  if (badLabel) throw new IngestError(file, `label column name '${badLabel}' must be letters, digits and _`, 0);

  const problems: IngestError[] = [];
  const seen = new Map<string, number>();
  const rows: DatasetRow[] = [];
  for (const { row, values } of records) {
    const p = values[pathCol!];
    const t = values[textCol!];
    const m = values[modalityCol!];
    if (!p) problems.push(new IngestError(file, 'empty image path', row, pathCol));
    else if (seen.has(p)) problems.push(new IngestError(file, `image path '${p}' already listed at row ${seen.get(p)}`, row, pathCol));
    if (!t) problems.push(new IngestError(file, 'empty text', row, textCol));
    else if (t.length > MAX_TEXT) problems.push(new IngestError(file, `text longer than ${MAX_TEXT} characters`, row, textCol));
    if (!m) problems.push(new IngestError(file, 'empty modality', row, modalityCol));
    else if (!MODALITY.test(m)) problems.push(new IngestError(file, `modality '${m.slice(0, 40)}' is not a simple name`, row, modalityCol));
    if (p) seen.set(p, row);
    const labels: Record<string, string> = {};
    for (const c of labelCols) if (values[c] !== '') labels[c] = values[c];
    rows.push({ row, path: p, text: t, modality: m, labels });
  }
  if (problems.length) throw new IngestErrors(problems);
  return rows;
}
