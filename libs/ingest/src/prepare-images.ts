import { ImageDecodeError, prepareImage } from '@forge/imaging';
import { IngestError, IngestErrors } from './errors';
import { ImageSource } from './image-source';

export interface PreparedRowImage {
  png: Buffer;
  sha256: string;
  width: number;
  height: number;
}

/**
 * Reads and prepares (decode → crop the field of view → resize → PNG) every distinct image a CSV names,
 * collecting every problem with its row so the user can fix the file in one pass.
 */
export async function prepareRowImages(
  rows: readonly { row: number; path: string }[],
  source: ImageSource,
  csvName: string,
  field: string,
  size: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, PreparedRowImage>> {
  const problems: IngestError[] = [];
  const prepared = new Map<string, PreparedRowImage>();
  for (const [i, { row, path }] of rows.entries()) {
    if (!prepared.has(path)) {
      try {
        const p = await prepareImage(await source.read(path, csvName, row), path, { size });
        prepared.set(path, { png: p.png, sha256: p.sha256, width: p.image.width, height: p.image.height });
      } catch (err) {
        if (err instanceof IngestError) problems.push(err);
        else if (err instanceof ImageDecodeError) problems.push(new IngestError(csvName, err.message, row, field));
        else throw err;
      }
    }
    onProgress?.(i + 1, rows.length);
  }
  if (problems.length) throw new IngestErrors(problems);
  return prepared;
}
