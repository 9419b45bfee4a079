// HTTP Range (one `bytes=` range) against a known size. Pure: no I/O.
import type { ByteRange } from './blob-store.js';

/** `undefined`: no Range header (send everything). `null`: not satisfiable (416). */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | null {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    // Suffix: the last N bytes (all of them when N is larger than the blob).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return null;
  return { start, end };
}
