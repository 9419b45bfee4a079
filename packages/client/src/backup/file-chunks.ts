// Reads files in big windows and cuts them into content-defined chunks as it goes, two reused windows in turn.
import { open } from 'node:fs/promises';
import type { FastCdc } from './fastcdc.js';

/** Bytes read per window: a few chunks' worth, so reads are few and large. */
export const READ_WINDOW_BYTES = 8 * 1024 * 1024;

/** A reused buffer: `headroom` bytes for the previous window's tail, then the read area. */
interface Window {
  bytes: Buffer;
}

/**
 * Chunks files through two reused windows: while the chunks of one are cut and hashed, the next read fills the
 * other (the read runs on libuv's thread pool, so disk and CPU work overlap). Fresh memory costs a page fault
 * per 4 KiB the first time it is touched (on this kind of VM, reading into new buffers ran at a third of the
 * speed of reading into a warm one), so the windows are allocated once and each chunk is a view into one:
 * valid until the next chunk is asked for. Keep a chunk by copying it (the uploader copies it into its pack).
 */
export class ChunkReader {
  readonly #cdc: FastCdc;
  readonly #readBytes: number;
  /** Room before the read area for a tail carried over: always shorter than one maximum chunk. */
  readonly #headroom: number;
  readonly #windows: [Window, Window];

  constructor(cdc: FastCdc, readBytes = READ_WINDOW_BYTES) {
    this.#cdc = cdc;
    this.#readBytes = Math.max(readBytes, cdc.sizes.maxSize);
    this.#headroom = cdc.sizes.maxSize;
    const make = (): Window => ({ bytes: Buffer.allocUnsafe(this.#headroom + this.#readBytes) });
    this.#windows = [make(), make()];
  }

  /**
   * Yields the file's chunks in order. A cut is only made with maxSize bytes ahead (or at the end of the file),
   * so the chunks are those FastCDC finds in the whole file at once.
   */
  async *chunks(file: string): AsyncGenerator<Buffer> {
    const maxSize = this.#cdc.sizes.maxSize;
    const headroom = this.#headroom;
    const handle = await open(file, 'r');
    const read = (window: Window): Promise<number> =>
      handle.read(window.bytes, headroom, this.#readBytes, null).then((answer) => answer.bytesRead);
    try {
      let [current, next] = this.#windows;
      let start = headroom;
      let filled = headroom + (await read(current));
      let eof = filled === headroom;
      for (;;) {
        const reading = eof ? undefined : read(next);
        // A rejection is awaited below; it must not count as unhandled while the chunks are cut.
        reading?.catch(() => undefined);
        while (filled - start > 0 && (eof || filled - start >= maxSize)) {
          const length = this.#cdc.cut(current.bytes, start, filled);
          yield current.bytes.subarray(start, start + length);
          start += length;
        }
        if (reading === undefined) return;
        const got = await reading;
        // The tail (shorter than a maximum chunk) goes just before the bytes that follow it.
        const tail = filled - start;
        current.bytes.copy(next.bytes, headroom - tail, start, filled);
        [current, next] = [next, current];
        start = headroom - tail;
        filled = headroom + got;
        eof = got === 0;
      }
    } finally {
      await handle.close();
    }
  }
}
