/** Why an input could not be turned into pixels; `file` names where it came from. */
export class ImageDecodeError extends Error {
  readonly code = 'INVALID_IMAGE';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: not a usable image: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}
