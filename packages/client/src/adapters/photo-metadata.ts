// What a photo record says about the picture, read from EXIF with exifr. Bad or missing EXIF never fails a photo.
import exifr from 'exifr';

export interface PhotoMetadata {
  takenAt?: number;
  camera?: string;
  width?: number;
  height?: number;
  gps?: { latitude: number; longitude: number };
}

const MIME: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', heic: 'image/heic', heif: 'image/heif',
  gif: 'image/gif', webp: 'image/webp', tif: 'image/tiff', tiff: 'image/tiff',
};

const extOf = (name: string): string => /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';

export const isPhotoName = (name: string): boolean => extOf(name) in MIME;
export const photoMime = (name: string): string => MIME[extOf(name)] ?? 'application/octet-stream';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.replace(/\p{Cc}/gu, '').trim() : undefined);

function timeOf(v: unknown): number | undefined {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads the metadata of one picture; any parse failure yields `{}`. */
export async function readPhotoMetadata(file: string): Promise<PhotoMetadata> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = (await exifr.parse(file, { tiff: true, exif: true, gps: true, ihdr: true, xmp: false, icc: false, iptc: false, jfif: true })) as Record<string, unknown> | undefined;
  } catch {
    return {};
  }
  if (!tags || typeof tags !== 'object') return {};
  const out: PhotoMetadata = {};
  const takenAt = timeOf(tags.DateTimeOriginal) ?? timeOf(tags.CreateDate) ?? timeOf(tags.ModifyDate);
  if (takenAt !== undefined) out.takenAt = takenAt;
  const make = text(tags.Make);
  const model = text(tags.Model);
  const camera = make && model && !model.startsWith(make) ? `${make} ${model}` : (model ?? make);
  if (camera) out.camera = camera.slice(0, 200);
  const width = num(tags.ExifImageWidth) ?? num(tags.ImageWidth) ?? num(tags.PixelXDimension);
  const height = num(tags.ExifImageHeight) ?? num(tags.ImageHeight) ?? num(tags.PixelYDimension);
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  const [latitude, longitude] = [num(tags.latitude), num(tags.longitude)];
  if (latitude !== undefined && longitude !== undefined && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) out.gps = { latitude, longitude };
  return out;
}
