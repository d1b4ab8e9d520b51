import { pickColumn, readCsv } from './csv';
import { IngestError, IngestErrors } from './errors';

/** One row of MINIM's ratings CSV: `image_path,rating,modality,expert_level,prompt`. */
export interface RatingRow {
  row: number;
  imagePath: string;
  /** Quality rating 1..3. */
  rating: 1 | 2 | 3;
  modality: string;
  expertLevel: string;
  prompt: string;
}

export function parseRatingsCsv(text: string, file: string): RatingRow[] {
  const { header, records } = readCsv(text, file);
  const cols = {
    imagePath: pickColumn(header, ['image_path', 'path']),
    rating: pickColumn(header, ['rating', 'score']),
    modality: pickColumn(header, ['modality', 'modal']),
    expertLevel: pickColumn(header, ['expert_level', 'expert']),
    prompt: pickColumn(header, ['prompt', 'text']),
  };
  const missing = Object.entries(cols).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new IngestError(file, `missing required column(s): ${missing.join(', ')} (header: ${header.join(',')})`, 0);

  const problems: IngestError[] = [];
  const rows: RatingRow[] = [];
  for (const { row, values } of records) {
    const imagePath = values[cols.imagePath!];
    const ratingText = values[cols.rating!];
    const rating = Number(ratingText);
    if (!imagePath) problems.push(new IngestError(file, 'empty image path', row, cols.imagePath));
    if (!/^[123](\.0+)?$/.test(ratingText)) {
      problems.push(new IngestError(file, `rating must be 1, 2 or 3, got '${ratingText.slice(0, 20)}'`, row, cols.rating));
    }
    const prompt = values[cols.prompt!];
    if (!prompt) problems.push(new IngestError(file, 'empty prompt', row, cols.prompt));
    rows.push({
      row,
      imagePath,
      rating: rating as 1 | 2 | 3,
      modality: values[cols.modality!] || 'fundus',
      expertLevel: values[cols.expertLevel!] || 'unknown',
      prompt,
    });
  }
  if (problems.length) throw new IngestErrors(problems);
  return rows;
}
