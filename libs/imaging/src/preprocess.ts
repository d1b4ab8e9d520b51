import { decodeImage, DecodeLimits } from './decode';
import { cropFieldOfView, FieldOfView, FieldOfViewOptions } from './field-of-view';
import { RgbImage } from './rgb-image';
import { encodePng, resizeImage } from './transform';
import { sha256Hex } from './content-store';

export interface PrepareOptions {
  /** Output side in pixels (square). */
  size: number;
  /** Crop to the field of view before resizing (default true). */
  cropFieldOfView?: boolean;
  fieldOfView?: Partial<FieldOfViewOptions>;
  limits?: Partial<DecodeLimits>;
}

export interface PreparedImage {
  image: RgbImage;
  png: Buffer;
  sha256: string;
  /** Size of the decoded input, before cropping. */
  original: { width: number; height: number };
  fieldOfView?: FieldOfView;
}

/** The import pipeline: decode → crop the field of view → square resize → PNG → content hash. */
export async function prepareImage(buf: Uint8Array, name: string, options: PrepareOptions): Promise<PreparedImage> {
  const decoded = await decodeImage(buf, name, options.limits);
  let image = decoded;
  let fieldOfView: FieldOfView | undefined;
  if (options.cropFieldOfView !== false) {
    const cropped = cropFieldOfView(decoded, options.fieldOfView);
    image = cropped.image;
    fieldOfView = cropped.fieldOfView;
  }
  image = await resizeImage(image, options.size, options.size);
  const png = await encodePng(image);
  return { image, png, sha256: sha256Hex(png), original: { width: decoded.width, height: decoded.height }, fieldOfView };
}
