import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ImageDecodeError } from './errors';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Where an image with this content hash lives: `<dataDir>/images/ab/cd/<sha>.png`. */
export function imagePath(dataDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`not a sha256 hex digest: '${sha256}'`);
  return path.join(dataDir, 'images', sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}.png`);
}

/**
 * Stores PNG bytes under their sha256. Idempotent: storing the same bytes again changes nothing.
 * Written to a temporary file in the same folder and renamed, so a reader never sees half a file.
 */
export async function storeImage(dataDir: string, png: Uint8Array): Promise<{ sha256: string; path: string }> {
  if (png.length < pngSignature.length || !pngSignature.equals(Buffer.from(png.subarray(0, 8)))) {
    throw new ImageDecodeError('storeImage input', 'the bytes are not a PNG (store encodePng output)');
  }
  const sha256 = sha256Hex(png);
  const target = imagePath(dataDir, sha256);
  const existing = await fs.stat(target).catch(() => undefined);
  if (existing?.isFile() && existing.size === png.length) return { sha256, path: target };
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, png, { flag: 'wx' });
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  return { sha256, path: target };
}

/** Reads a stored image back and checks its bytes still hash to their name. */
export async function readStoredImage(dataDir: string, sha256: string): Promise<Buffer> {
  const file = imagePath(dataDir, sha256);
  const bytes = await fs.readFile(file);
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw Object.assign(new Error(`${file}: content hash is ${actual}, expected ${sha256}`), { code: 'TAMPERED_IMAGE' });
  return bytes;
}
