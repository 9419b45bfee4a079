// Reads files in big windows and cuts them into content-defined chunks as it goes, reusing one window.
import { open } from 'node:fs/promises';
import type { FastCdc } from './fastcdc.js';

/** Bytes read per window: a few chunks' worth, so reads are few and large. */
export const READ_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Chunks files through one reused window. Fresh memory costs a page fault per 4 KiB the first time it is
 * touched (on this kind of VM, reading into new buffers ran at a third of the speed of reading into a warm one),
 * so the window is allocated once and each chunk is a view into it: valid until the next chunk is asked for.
 * Keep a chunk by copying it (the uploader copies it into its pack).
 */
export class ChunkReader {
  readonly #cdc: FastCdc;
  readonly #window: Buffer;
  readonly #readBytes: number;

  constructor(cdc: FastCdc, readBytes = READ_WINDOW_BYTES) {
    this.#cdc = cdc;
    this.#readBytes = readBytes;
    // Room for a window's read plus a carried-over tail shorter than one maximum chunk.
    this.#window = Buffer.allocUnsafe(readBytes + cdc.sizes.maxSize);
  }

  /**
   * Yields the file's chunks in order. A cut is only made with maxSize bytes ahead (or at the end of the file),
   * so the chunks are those FastCDC finds in the whole file at once.
   */
  async *chunks(file: string): AsyncGenerator<Buffer> {
    const window = this.#window;
    const maxSize = this.#cdc.sizes.maxSize;
    const handle = await open(file, 'r');
    try {
      let filled = 0;
      for (;;) {
        let eof = false;
        const readEnd = filled + this.#readBytes;
        while (filled < readEnd) {
          const { bytesRead } = await handle.read(window, filled, readEnd - filled, null);
          if (bytesRead === 0) {
            eof = true;
            break;
          }
          filled += bytesRead;
        }
        let start = 0;
        while (filled - start > 0 && (eof || filled - start >= maxSize)) {
          const length = this.#cdc.cut(window, start, filled);
          yield window.subarray(start, start + length);
          start += length;
        }
        if (eof) return;
        // The tail (shorter than a maximum chunk) moves to the front; the next read follows it.
        window.copyWithin(0, start, filled);
        filled -= start;
      }
    } finally {
      await handle.close();
    }
  }
}
