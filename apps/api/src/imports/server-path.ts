import * as fs from 'node:fs';
import * as path from 'node:path';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors/api-errors';

/**
 * A CSV named by a server-side path, relative to the import root. `..` segments and absolute
 * paths are refused outright (400); a path whose real location (after symlinks) leaves the root → 403.
 */
export function csvInsideImportRoot(importRoot: string, relative: string): { real: string; display: string } {
  const segments = relative.split(/[\\/]+/);
  if (path.isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) {
    throw new InvalidInputError(`path '${relative}' must be relative to the import root`, [{ path: 'path', message: 'must be relative to the import root' }]);
  }
  if (segments.includes('..')) throw new InvalidInputError(`path '${relative}' contains '..'`, [{ path: 'path', message: "must not contain '..'" }]);
  const root = fs.realpathSync(importRoot);
  const candidate = path.resolve(root, relative);
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    throw new NotFoundError(`no file '${relative}' in the import root`);
  }
  if (real !== root && !real.startsWith(root + path.sep)) throw new ForbiddenError(`path '${relative}' leads outside the import root`);
  if (!fs.statSync(real).isFile()) throw new InvalidInputError(`path '${relative}' is not a file`, [{ path: 'path', message: 'not a file' }]);
  return { real, display: segments.filter(Boolean).join('/') };
}
