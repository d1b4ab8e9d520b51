import { parse } from 'csv-parse/sync';
import { IngestError } from './errors';

export interface CsvRecord {
  /** 1-based data row number (the header is row 0). */
  row: number;
  values: Record<string, string>;
}

export const MAX_CSV_BYTES = 50 * 1024 * 1024;

/** Parses a CSV with a header row; structural problems (quotes, column counts) name the line. */
export function readCsv(text: string, file: string): { header: string[]; records: CsvRecord[] } {
  if (Buffer.byteLength(text) > MAX_CSV_BYTES) throw new IngestError(file, `file is larger than ${MAX_CSV_BYTES} bytes`);
  if (text.includes('\u0000')) throw new IngestError(file, 'not a text file (contains NUL bytes)');
  let parsed: { record: Record<string, string>; info: { lines: number; columns: { name: string }[] } }[];
  try {
    parsed = parse(text, { columns: true, info: true, bom: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new IngestError(file, `malformed CSV: ${e.message}`, e.lines !== undefined ? Math.max(0, e.lines - 1) : undefined);
  }
  if (parsed.length === 0) {
    if (text.trim().length === 0) throw new IngestError(file, 'file is empty');
    throw new IngestError(file, 'no data rows after the header');
  }
  const header = parsed[0].info.columns.map((c) => c.name);
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (duplicate) throw new IngestError(file, `column '${duplicate}' appears twice in the header`, 0);
  return { header, records: parsed.map((p, i) => ({ row: i + 1, values: p.record })) };
}

/** The first of several accepted spellings of a column that the header has. */
export function pickColumn(header: string[], spellings: string[]): string | undefined {
  const lower = new Map(header.map((h) => [h.toLowerCase(), h]));
  for (const s of spellings) {
    const found = lower.get(s.toLowerCase());
    if (found) return found;
  }
  return undefined;
}
