import * as fs from 'node:fs';
import * as path from 'node:path';
import { IngestError } from './errors';

/**
 * Resolves `relative` against `baseDir` and refuses anything that ends up outside `root`
 * (absolute paths, `..`, or symlinks pointing out). Returns the real path.
 */
export function confinedPath(root: string, baseDir: string, relative: string, file: string, row?: number): string {
  const realRoot = fs.realpathSync(root);
  const candidate = path.resolve(baseDir, relative);
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    throw new IngestError(file, `image file '${relative}' does not exist or cannot be read`, row, 'path');
  }
  const inside = real === realRoot || real.startsWith(realRoot + path.sep);
  if (!inside) throw new IngestError(file, `image path '${relative}' is outside the import root ${realRoot}`, row, 'path');
  return real;
}
