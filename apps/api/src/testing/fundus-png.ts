import { encodePng, rgbImage } from '@forge/imaging';

/** A small fundus-like picture: an orange disc on black; `shade` makes each one distinct. */
export async function fundusPng(shade: number): Promise<Buffer> {
  const n = 64;
  const img = rgbImage(n, n);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      if ((x - 32) ** 2 + (y - 32) ** 2 > 28 ** 2) continue;
      img.data.set([(180 + shade) % 256, 80 + ((x * 3) % 40), 30 + ((y * 5 + shade) % 30)], (y * n + x) * 3);
    }
  return encodePng(img);
}
