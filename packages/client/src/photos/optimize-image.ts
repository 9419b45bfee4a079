// The optimized stand-in of a photo and its thumbnail, made with sharp: long edge at most 2048 px (thumbnail 256),
// turned upright, in the original's format, its EXIF kept (the date and place a photo app shows).
import type { FormatEnum, Sharp, SharpOptions } from 'sharp';

export const OPTIMIZED_LONG_EDGE = 2048;
export const THUMBNAIL_LONG_EDGE = 256;

/** sharp (libvips) is loaded by the first photo it works on: every other command starts without it. */
async function image(file: string): Promise<Sharp> {
  const { default: sharp } = await import('sharp');
  const options: SharpOptions = { failOn: 'error' };
  return sharp(file, options);
}

/** Formats sharp writes back as themselves; a photo in another (HEIC) keeps its original. */
const WRITABLE = new Set<keyof FormatEnum>(['jpeg', 'png', 'webp', 'tiff', 'gif']);

/**
 * Writes the optimized version of `source` to `target`; false when there is none worth having (a format sharp cannot
 * write, or a result not smaller than the original — the caller then keeps the original).
 */
export async function writeOptimized(source: string, target: string, originalBytes: number): Promise<boolean> {
  const photo = await image(source);
  const format = (await photo.metadata()).format as keyof FormatEnum | undefined;
  if (format === undefined || !WRITABLE.has(format)) return false;
  const info = await photo
    .rotate()
    .resize({ width: OPTIMIZED_LONG_EDGE, height: OPTIMIZED_LONG_EDGE, fit: 'inside', withoutEnlargement: true })
    .keepExif()
    .toFormat(format, { quality: 82 })
    .toFile(target);
  return info.size < originalBytes;
}

/** A small JPEG preview of `source`. */
export async function writeThumbnail(source: string, target: string): Promise<void> {
  await (await image(source)).rotate().resize({ width: THUMBNAIL_LONG_EDGE, height: THUMBNAIL_LONG_EDGE, fit: 'inside' }).jpeg({ quality: 70 }).toFile(target);
}
