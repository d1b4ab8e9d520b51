import type { Request, Response } from 'express';
import multer from 'multer';
import { InvalidInputError } from '../errors/api-errors';

export interface Upload {
  csv?: { name: string; bytes: Buffer };
  images: Map<string, Buffer>;
  fields: Record<string, string>;
}

/** Reads a multipart upload held in memory under the configured limits (too large → 413 via the error filter). */
export function readMultipart(req: Request, res: Response, limits: { maxBytes: number; maxFiles: number }): Promise<Upload> {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: limits.maxBytes, files: limits.maxFiles + 1, fields: 10, fieldSize: 4096, parts: limits.maxFiles + 12 },
  }).fields([
    { name: 'csv', maxCount: 1 },
    { name: 'images', maxCount: limits.maxFiles },
  ]);
  return new Promise((resolve, reject) => {
    parse(req, res, (err: unknown) => {
      if (err) return reject(err);
      const files = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
      const total = Object.values(files).flat().reduce((n, f) => n + f.size, 0);
      if (total > limits.maxBytes) return reject(Object.assign(new Error(`upload of ${total} bytes is larger than ${limits.maxBytes}`), { code: 'PAYLOAD_TOO_LARGE' }));
      const images = new Map<string, Buffer>();
      for (const f of files.images ?? []) {
        if (images.has(f.originalname)) return reject(new InvalidInputError(`image file '${f.originalname}' uploaded twice`, [{ path: 'images', message: `duplicate file name '${f.originalname}'` }]));
        images.set(f.originalname, f.buffer);
      }
      const csv = files.csv?.[0];
      resolve({ csv: csv && { name: csv.originalname, bytes: csv.buffer }, images, fields: { ...(req.body ?? {}) } });
    });
  });
}
