import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { confinedPath } from './confine';
import { IngestError } from './errors';

/** Where the images a CSV names come from: a folder on the server, or files uploaded with the CSV. */
export interface ImageSource {
  read(relativePath: string, file: string, row: number): Promise<Buffer>;
}

/** Files next to the CSV, confined to the import root (no `..`, no symlinks out). */
export function folderSource(importRoot: string, baseDir: string): ImageSource {
  return {
    async read(relativePath, file, row) {
      const real = confinedPath(importRoot, baseDir, relativePath, file, row);
      try {
        const stat = await fs.stat(real);
        if (!stat.isFile()) throw new IngestError(file, `image path '${relativePath}' is not a file`, row, 'path');
        return await fs.readFile(real);
      } catch (err) {
        if (err instanceof IngestError) throw err;
        throw new IngestError(file, `cannot read image '${relativePath}': ${(err as Error).message}`, row, 'path');
      }
    },
  };
}

/** Files uploaded with the CSV, matched by their path as written in the CSV (or by base name). */
export function uploadedSource(files: Map<string, Buffer>): ImageSource {
  return {
    async read(relativePath, file, row) {
      const found = files.get(relativePath) ?? files.get(path.posix.basename(relativePath.replace(/\\/g, '/')));
      if (!found) throw new IngestError(file, `image '${relativePath}' was not uploaded with the CSV`, row, 'path');
      return found;
    },
  };
}
