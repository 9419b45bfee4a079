// Reads a file in big windows and cuts it into content-defined chunks as it goes.
import { open } from 'node:fs/promises';
import type { FastCdc } from './fastcdc.js';

/** Bytes read per window: a few chunks' worth, so reads are few and large. */
export const READ_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Yields the file's chunks in order. Each chunk is a view into a window nobody else writes to, so a caller may
 * keep it (to upload later) without copying. A cut is only made with maxSize bytes ahead (or at the end of the
 * file), so the chunks are those FastCDC finds in the whole file at once.
 */
export async function* fileChunks(file: string, cdc: FastCdc, windowBytes = READ_WINDOW_BYTES): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const window = Buffer.allocUnsafe(carry.length + windowBytes);
      carry.copy(window, 0);
      let filled = carry.length;
      let eof = false;
      while (filled < window.length) {
        const { bytesRead } = await handle.read(window, filled, window.length - filled, null);
        if (bytesRead === 0) {
          eof = true;
          break;
        }
        filled += bytesRead;
      }
      let start = 0;
      while (filled - start > 0 && (eof || filled - start >= cdc.sizes.maxSize)) {
        const length = cdc.cut(window, start, filled);
        yield window.subarray(start, start + length);
        start += length;
      }
      if (eof) return;
      carry = window.subarray(start, filled);
    }
  } finally {
    await handle.close();
  }
}
