import sharp from 'sharp';
import { RgbImage, rawInput } from './rgb-image';

export interface ContactSheetItem {
  /** Decoded pixels, or encoded bytes sharp can read (PNG/JPEG/TIFF). */
  image: RgbImage | Uint8Array;
  caption?: string;
}

export interface ContactSheetOptions {
  columns: number;
  /** Each image is fitted into a tileSize×tileSize square. */
  tileSize: number;
  /** Lines of caption text kept under each tile (longer captions are cut with an ellipsis). */
  captionLines: number;
  fontSize: number;
  gap: number;
  background: string;
  textColour: string;
}

export const defaultContactSheetOptions: ContactSheetOptions = {
  columns: 4,
  tileSize: 160,
  captionLines: 3,
  fontSize: 11,
  gap: 8,
  background: '#ffffff',
  textColour: '#222222',
};

/** A grid of images with captions underneath, as one PNG, for reports. */
export async function contactSheet(items: ContactSheetItem[], options: Partial<ContactSheetOptions> = {}): Promise<Buffer> {
  const o = { ...defaultContactSheetOptions, ...options };
  if (items.length === 0) throw new RangeError('a contact sheet needs at least one image');
  if (!Number.isInteger(o.columns) || o.columns < 1) throw new RangeError(`columns must be a positive integer, got ${o.columns}`);
  const columns = Math.min(o.columns, items.length);
  const rows = Math.ceil(items.length / columns);
  const lineHeight = Math.ceil(o.fontSize * 1.3);
  const captionHeight = o.captionLines > 0 ? o.captionLines * lineHeight + 4 : 0;
  const cellW = o.tileSize + o.gap;
  const cellH = o.tileSize + captionHeight + o.gap;
  const width = columns * cellW + o.gap;
  const height = rows * cellH + o.gap;

  const tiles = await Promise.all(
    items.map(async (item, i) => {
      const input = isRgb(item.image) ? sharp(item.image.data, rawInput(item.image)) : sharp(item.image);
      const tile = await input
        .resize(o.tileSize, o.tileSize, { fit: 'contain', background: '#000000' })
        .removeAlpha()
        .png()
        .toBuffer();
      const left = o.gap + (i % columns) * cellW;
      const top = o.gap + Math.floor(i / columns) * cellH;
      return { input: tile, left, top };
    }),
  );

  const captions = items.map((item, i) => {
    if (!item.caption || o.captionLines === 0) return '';
    const lines = wrap(item.caption, Math.max(4, Math.floor(o.tileSize / (o.fontSize * 0.55))), o.captionLines);
    const x = o.gap + (i % columns) * cellW;
    const y0 = o.gap + Math.floor(i / columns) * cellH + o.tileSize + lineHeight;
    return lines.map((line, k) => `<text x="${x}" y="${y0 + k * lineHeight}">${escapeXml(line)}</text>`).join('');
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<g font-family="DejaVu Sans, sans-serif" font-size="${o.fontSize}" fill="${escapeXml(o.textColour)}">${captions.join('')}</g></svg>`;

  return sharp({ create: { width, height, channels: 3, background: o.background } })
    .composite([...tiles, { input: Buffer.from(svg), left: 0, top: 0 }])
    .removeAlpha()
    .png()
    .toBuffer();
}

function isRgb(image: RgbImage | Uint8Array): image is RgbImage {
  return !(image instanceof Uint8Array);
}

/** Greedy word wrap to `maxChars` per line, at most `maxLines`, the last line ending in … when cut. */
export function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const next = current ? `${current} ${word}` : word;
    if (next.length <= maxChars) {
      current = next;
      continue;
    }
    if (current) lines.push(current);
    current = word.length > maxChars ? word.slice(0, maxChars - 1) + '…' : word;
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1];
  kept[maxLines - 1] = (last.length >= maxChars ? last.slice(0, maxChars - 1) : last) + '…';
  return kept;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
