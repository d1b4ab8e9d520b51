import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export const imageExtensions = ['.png', '.jpg', '.jpeg', '.tif', '.tiff'];

/**
 * Every PNG/JPEG/TIFF file below `dir` (recursively, by extension, case-insensitive), sorted by path.
 * Symbolic links are not followed, so a link cannot pull in files from elsewhere or loop.
 */
export async function listImageFiles(dir: string): Promise<string[]> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat) throw Object.assign(new Error(`folder not found: ${dir}`), { code: 'NOT_FOUND' });
  if (!stat.isDirectory()) throw Object.assign(new Error(`not a folder: ${dir}`), { code: 'INVALID_INPUT' });
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && imageExtensions.includes(path.extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  await walk(dir);
  return found.sort();
}
