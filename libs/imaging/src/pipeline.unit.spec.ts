import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { contactSheet, wrap } from './contact-sheet';
import { imagePath, readStoredImage, sha256Hex, storeImage } from './content-store';
import { cropFieldOfView, findFieldOfView } from './field-of-view';
import { prepareImage } from './preprocess';
import { rgbImage } from './rgb-image';
import { syntheticFundus } from './test-images';
import { denormalise, encodePng, normalise, resizeImage } from './transform';

function pngChunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    types.push(png.toString('ascii', off + 4, off + 8));
    off += 12 + len;
  }
  return types;
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imaging-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('field of view', () => {
  it('finds the bounding box of an off-centre disc and pads it to a centred square', () => {
    // Disc of radius 20 centred at (50, 40) in a 120×90 frame, cut at nothing.
    const img = syntheticFundus(120, 90, 50, 40, 20);
    const fov = findFieldOfView(img);
    expect(fov.found).toBe(true);
    expect(fov.box.x).toBeGreaterThanOrEqual(29);
    expect(fov.box.x).toBeLessThanOrEqual(31);
    expect(fov.box.width).toBeGreaterThanOrEqual(38);
    expect(fov.box.width).toBeLessThanOrEqual(41);
    const { image } = cropFieldOfView(img);
    expect(image.width).toBe(image.height);
    expect(image.width).toBe(Math.max(fov.box.width, fov.box.height));
    // The centre of the crop is inside the disc (bright), the corners are background (black).
    const c = ((image.height >> 1) * image.width + (image.width >> 1)) * 3;
    expect(image.data[c]).toBeGreaterThan(100);
    expect(Array.from(image.data.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('keeps a disc cut at top and bottom centred, padding rows', () => {
    const img = syntheticFundus(100, 60, 50, 30, 40); // the disc overflows vertically
    const { image, fieldOfView } = cropFieldOfView(img);
    expect(fieldOfView.box.height).toBe(60);
    expect(fieldOfView.box.width).toBeGreaterThan(75);
    expect(image.width).toBe(fieldOfView.box.width);
    const padRows = (image.height - 60) >> 1;
    expect(Array.from(image.data.subarray(((padRows - 1) * image.width + (image.width >> 1)) * 3, ((padRows - 1) * image.width + (image.width >> 1)) * 3 + 3))).toEqual([0, 0, 0]);
    expect(image.data[((padRows + 30) * image.width + (image.width >> 1)) * 3]).toBeGreaterThan(100);
  });

  it('ignores isolated bright specks and reports no field of view on a black image', () => {
    const img = rgbImage(50, 50);
    img.data.set([255, 255, 255], (3 * 50 + 3) * 3);
    expect(findFieldOfView(img, { minFraction: 0.05 }).found).toBe(false);
    expect(cropFieldOfView(img, { minFraction: 0.05 }).image.width).toBe(50);
  });
});

describe('resize, normalise, encode', () => {
  it('resizes to the requested square and keeps a flat colour flat', async () => {
    const flat = rgbImage(30, 20, new Uint8Array(30 * 20 * 3).fill(77));
    const out = await resizeImage(flat, 16, 16);
    expect([out.width, out.height, out.data.length]).toEqual([16, 16, 16 * 16 * 3]);
    expect(out.data.every((v) => v === 77)).toBe(true);
  });

  it('normalises to [0,1] and [-1,1] and back', () => {
    const img = rgbImage(2, 1, new Uint8Array([0, 51, 255, 128, 1, 254]));
    const a = normalise(img, '0,1');
    expect(a[2]).toBeCloseTo(1, 6);
    expect(a[1]).toBeCloseTo(0.2, 6);
    const b = normalise(img, '-1,1');
    expect(b[0]).toBe(-1);
    expect(b[2]).toBeCloseTo(1, 6);
    expect(Array.from(denormalise(b, 2, 1, '-1,1').data)).toEqual(Array.from(img.data));
    expect(Array.from(denormalise(a, 2, 1, '0,1').data)).toEqual(Array.from(img.data));
  });

  it('encodes PNG deterministically and without metadata chunks', async () => {
    const img = syntheticFundus(32, 32);
    const a = await encodePng(img);
    const b = await encodePng(img);
    expect(sha256Hex(a)).toBe(sha256Hex(b));
    expect(pngChunkTypes(a).filter((t) => !['IHDR', 'IDAT', 'IEND'].includes(t))).toEqual([]);
  });

  it('prepareImage strips EXIF and ICC from a camera JPEG and gives a content address', async () => {
    const img = syntheticFundus(80, 60);
    const jpeg = await sharp(img.data, { raw: { width: 80, height: 60, channels: 3 } })
      .jpeg()
      .withMetadata({ exif: { IFD0: { Copyright: 'Patient 12345', ImageDescription: 'DOE^JOHN' } } })
      .toBuffer();
    expect(jpeg.includes(Buffer.from('DOE^JOHN'))).toBe(true);
    const prepared = await prepareImage(jpeg, 'camera.jpg', { size: 32 });
    expect(prepared.png.includes(Buffer.from('DOE^JOHN'))).toBe(false);
    expect(pngChunkTypes(prepared.png)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(prepared.sha256).toBe(sha256Hex(prepared.png));
    expect([prepared.image.width, prepared.image.height]).toEqual([32, 32]);
    expect(prepared.original).toEqual({ width: 80, height: 60 });
    expect(prepared.fieldOfView?.found).toBe(true);
  });
});

describe('content-addressed store', () => {
  it('stores under images/ab/cd/<sha>.png, idempotently, leaving no temporary files', async () => {
    const png = await encodePng(syntheticFundus(16, 16));
    const sha = sha256Hex(png);
    const results = await Promise.all([storeImage(dir, png), storeImage(dir, png), storeImage(dir, png)]);
    for (const r of results) expect(r).toEqual({ sha256: sha, path: path.join(dir, 'images', sha.slice(0, 2), sha.slice(2, 4), `${sha}.png`) });
    const stat1 = await fs.stat(results[0].path);
    await storeImage(dir, png);
    const stat2 = await fs.stat(results[0].path);
    expect(stat2.mtimeMs).toBe(stat1.mtimeMs);
    expect(await fs.readdir(path.dirname(results[0].path))).toEqual([`${sha}.png`]);
    expect((await readStoredImage(dir, sha)).equals(png)).toBe(true);
  });

  it('refuses bytes that are not PNG and detects a changed file', async () => {
    await expect(storeImage(dir, Buffer.from('not an image'))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    const png = await encodePng(syntheticFundus(16, 16));
    const { sha256, path: file } = await storeImage(dir, png);
    await fs.writeFile(file, Buffer.concat([png, Buffer.from([0])]));
    await expect(readStoredImage(dir, sha256)).rejects.toMatchObject({ code: 'TAMPERED_IMAGE' });
    expect(() => imagePath(dir, '../etc/passwd')).toThrow(RangeError);
  });
});

describe('contact sheet', () => {
  it('lays out a grid with captions under each tile', async () => {
    const items = [0, 1, 2, 3, 4].map((i) => ({ image: syntheticFundus(40 + i * 10, 40), caption: `image ${i}: moderate non-proliferative diabetic retinopathy with hard exudates` }));
    items[1] = { ...items[1], image: (await encodePng(syntheticFundus(50, 40))) as unknown as ReturnType<typeof syntheticFundus> };
    const png = await contactSheet(items, { columns: 3, tileSize: 64, captionLines: 2, fontSize: 10, gap: 4 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const lineHeight = 13;
    const cellH = 64 + 2 * lineHeight + 4 + 4;
    expect(info.channels).toBe(3);
    expect(info.width).toBe(3 * (64 + 4) + 4);
    expect(info.height).toBe(2 * cellH + 4);
    // Caption band under the first tile holds dark text pixels on the white background.
    let dark = 0;
    for (let y = 4 + 64; y < 4 + 64 + 2 * lineHeight; y++) for (let x = 4; x < 4 + 64; x++) if (data[(y * info.width + x) * 3] < 128) dark++;
    expect(dark).toBeGreaterThan(20);
    // The empty sixth cell stays background.
    const x6 = 4 + 2 * 68 + 32;
    const y6 = 4 + cellH + 32;
    expect(Array.from(data.subarray((y6 * info.width + x6) * 3, (y6 * info.width + x6) * 3 + 3))).toEqual([255, 255, 255]);
  });

  it('wraps and cuts captions', () => {
    expect(wrap('a bb ccc dddd', 6, 5)).toEqual(['a bb', 'ccc', 'dddd']);
    expect(wrap('a bb ccc dddd', 6, 2)).toEqual(['a bb', 'ccc…']);
  });
});

describe('listImageFiles', () => {
  it('finds PNG/JPEG/TIFF files recursively, sorted, and names a missing folder', async () => {
    const { listImageFiles } = await import('./image-files');
    await fs.mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    for (const f of ['z.PNG', 'a/x.jpeg', 'a/b/y.tif', 'a/notes.txt', 'a/b/w.webp']) await fs.writeFile(path.join(dir, f), '');
    await fs.symlink(path.join(dir, 'a'), path.join(dir, 'loop'));
    expect(await listImageFiles(dir)).toEqual([path.join(dir, 'a/b/y.tif'), path.join(dir, 'a/x.jpeg'), path.join(dir, 'z.PNG')]);
    await expect(listImageFiles(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
