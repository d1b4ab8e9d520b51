import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, decodeImageFile } from './decode';
import { ImageDecodeError } from './errors';
import { encodePng } from './transform';
import { syntheticFundus } from './test-images';

/** A PNG whose IHDR claims the given size, with no pixel data: what a decompression bomb looks like. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const typeAndBody = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(typeAndBody) >>> 0);
    return Buffer.concat([len, typeAndBody, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const idat = zlib.deflateSync(Buffer.alloc(64));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

async function expectInvalid(p: Promise<unknown>, reason: RegExp): Promise<ImageDecodeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageDecodeError);
  const e = err as ImageDecodeError;
  expect(e.code).toBe('INVALID_IMAGE');
  expect(e.file).toBe('input.bin');
  expect(e.message).toMatch(/^input\.bin: /);
  expect(e.reason).toMatch(reason);
  return e;
}

describe('decodeImage', () => {
  it('decodes an 8-bit RGB PNG exactly', async () => {
    const img = syntheticFundus(40, 30);
    const decoded = await decodeImage(await encodePng(img), 'fundus.png');
    expect(decoded).toMatchObject({ width: 40, height: 30, channels: 3 });
    expect(Buffer.from(decoded.data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('decodes a 16-bit RGB TIFF to 8 bits per channel', async () => {
    const w = 6;
    const h = 4;
    const values = new Uint16Array(w * h * 3);
    for (let i = 0; i < values.length; i++) values[i] = (i * 2711) % 65536;
    const tiff = await sharp(values, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'lzw' }).toBuffer();
    expect((await sharp(tiff).metadata()).depth).toBe('ushort');
    const decoded = await decodeImage(tiff, 'deep.tiff');
    expect(decoded).toMatchObject({ width: w, height: h, channels: 3 });
    for (let i = 0; i < values.length; i++) expect(Math.abs(decoded.data[i] - values[i] / 257)).toBeLessThanOrEqual(1);
  });

  it('decodes a 16-bit grey PNG and a grey JPEG to equal R, G and B', async () => {
    const grey16 = new Uint16Array(8 * 8).map((_, i) => i * 1000);
    const png16 = await sharp(grey16, { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    const grey8 = Buffer.from(new Uint8Array(16 * 16).map((_, i) => i % 256));
    const jpeg = await sharp(grey8, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(jpeg).metadata()).channels).toBe(1);
    for (const [buf, name] of [
      [png16, 'grey16.png'],
      [jpeg, 'grey.jpg'],
    ] as const) {
      const d = await decodeImage(buf, name);
      expect(d.channels).toBe(3);
      for (let p = 0; p < d.width * d.height; p++) {
        expect(d.data[p * 3]).toBe(d.data[p * 3 + 1]);
        expect(d.data[p * 3]).toBe(d.data[p * 3 + 2]);
      }
    }
    const d16 = await decodeImage(png16, 'grey16.png');
    expect(Math.abs(d16.data[63 * 3] - (63 * 1000) / 257)).toBeLessThanOrEqual(1);
  });

  it('flattens RGBA onto black', async () => {
    const rgba = Buffer.from([255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128, 255, 255, 255, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
    const d = await decodeImage(png, 'alpha.png');
    expect(Array.from(d.data)).toEqual([255, 0, 0, 0, 0, 0, 0, 0, 128, 255, 255, 255]);
  });

  it('applies EXIF orientation so pixels are the right way up', async () => {
    const img = syntheticFundus(8, 4);
    const jpeg = await sharp(img.data, { raw: { width: 8, height: 4, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const d = await decodeImage(jpeg, 'rotated.jpg');
    expect([d.width, d.height]).toEqual([4, 8]);
  });

  it('refuses a zero-byte file', async () => {
    await expectInvalid(decodeImage(Buffer.alloc(0), 'input.bin'), /empty/);
  });

  it('refuses a text file', async () => {
    await expectInvalid(decodeImage(Buffer.from('path,text,modality\na.png,normal fundus,fundus\n'), 'input.bin'), /unrecognised|corrupt/);
  });

  it('refuses a truncated PNG', async () => {
    const png = await encodePng(syntheticFundus(64, 64));
    await expectInvalid(decodeImage(png.subarray(0, Math.floor(png.length / 2)), 'input.bin'), /decoding failed|corrupt/);
  });

  it('refuses a truncated JPEG and a truncated TIFF', async () => {
    const img = syntheticFundus(64, 64);
    const raw = { raw: { width: 64, height: 64, channels: 3 as const } };
    const jpeg = await sharp(img.data, raw).jpeg().toBuffer();
    await expectInvalid(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'input.bin'), /decoding failed|corrupt/);
    const tiff = await sharp(img.data, raw).tiff({ compression: 'none' }).toBuffer();
    await expectInvalid(decodeImage(tiff.subarray(0, Math.floor(tiff.length * 0.6)), 'input.bin'), /decoding failed|corrupt/);
  });

  it('refuses a PNG claiming 100000×100000 before decoding its pixels', async () => {
    const e = await expectInvalid(decodeImage(pngHeaderOnly(100000, 100000), 'input.bin'), /100000×100000.*8192/);
    expect(e.message).toContain('exceeds the limit');
  });

  it('applies configurable size limits', async () => {
    const png = await encodePng(syntheticFundus(64, 48));
    await expectInvalid(decodeImage(png, 'input.bin', { maxDimension: 50 }), /64×48 pixels exceeds the limit of 50/);
    await expectInvalid(decodeImage(png, 'input.bin', { maxBytes: 100 }), /more than the limit of 100/);
  });

  it('refuses formats other than PNG, JPEG and TIFF', async () => {
    const webp = await sharp(Buffer.alloc(4 * 4 * 3, 100), { raw: { width: 4, height: 4, channels: 3 } }).webp().toBuffer();
    await expectInvalid(decodeImage(webp, 'input.bin'), /format 'webp' is not accepted/);
  });

  it('names the file when reading from disk fails or the file is bad', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imaging-'));
    try {
      const missing = path.join(dir, 'missing.png');
      await expect(decodeImageFile(missing)).rejects.toMatchObject({ code: 'INVALID_IMAGE', file: missing });
      const empty = path.join(dir, 'empty.png');
      await fs.writeFile(empty, '');
      await expect(decodeImageFile(empty)).rejects.toThrow(`${empty}: not a usable image: the file is empty`);
      const good = path.join(dir, 'good.png');
      await fs.writeFile(good, await encodePng(syntheticFundus(10, 10)));
      expect((await decodeImageFile(good)).width).toBe(10);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
