// Small files read whole, in one go: through fs/promises each file's open, read and close cost a trip through the
// thread pool and a FileHandle, and a folder of 3,277 notes of 4–28 KiB took 1.3 s (40 MB/s) where big files go at GB/s.
import { closeSync, openSync, readSync } from 'node:fs';

/** Files up to this size are read whole; bigger ones stream through ChunkReader's windows. */
export const WHOLE_FILE_MAX_BYTES = 2 * 1024 * 1024;

/** A whole small file (valid until the next read), one that grew past the size the scan saw, or its error. */
export type WholeFile = { bytes: Buffer } | { grew: true } | { error: unknown };

/**
 * Reads small files synchronously into one reused buffer. Blocking is the point: a few syscalls on a cached file
 * cost microseconds, less than the promise and thread-pool machinery around them; at most WHOLE_FILE_MAX_BYTES
 * are read while the event loop waits (uploads in flight wait that long at worst).
 */
export class WholeFileReader {
  #buffer: Buffer | undefined;

  /** The file's bytes; one byte more than the scan saw tells a file that grew since (stream it instead). */
  read(abs: string, size: number): WholeFile {
    // Made once, on the first small file: fresh memory costs a page fault per 4 KiB.
    const buffer = (this.#buffer ??= Buffer.allocUnsafeSlow(WHOLE_FILE_MAX_BYTES + 1));
    const want = Math.min(size + 1, buffer.length);
    let got = 0;
    try {
      const fd = openSync(abs, 'r');
      try {
        while (got < want) {
          const bytesRead = readSync(fd, buffer, got, want - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      return { error };
    }
    return got > size ? { grew: true } : { bytes: buffer.subarray(0, got) };
  }
}
