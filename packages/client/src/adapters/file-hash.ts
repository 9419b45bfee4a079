// SHA-256 of a file, read in pieces (a 1 GB video never sits in memory); small files in one read.
import { createHash, hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Files up to this size are read whole: a stream would allocate a 1 MiB buffer for each one. */
const READ_WHOLE_BYTES = 1024 * 1024;
/** Files hashed at the same time by hashFiles. */
const HASHES_IN_FLIGHT = 16;

/** Buffer size of a big file's reads (two per file being hashed, HASHES_IN_FLIGHT files at a time). */
const READ_BYTES = 1024 * 1024;

/** Hashes the file as it is read; `size` is the bytes actually hashed (not a separate stat). */
export async function hashFile(file: string): Promise<FileDigest> {
  const handle = await open(file, 'r');
  try {
    if ((await handle.stat()).size <= READ_WHOLE_BYTES) {
      const bytes = await handle.readFile();
      return { sha256: hashText(bytes), size: bytes.length };
    }
    return await hashBig(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Two buffers, reused: the next read runs while the last one is hashed, and nothing is allocated per read
 * (a stream's new 1 MiB buffer per read made the garbage collector cost a third of hashing a 1 GB file).
 */
async function hashBig(handle: FileHandle): Promise<FileDigest> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafeSlow(READ_BYTES), Buffer.allocUnsafeSlow(READ_BYTES)] as const;
  let size = 0;
  let turn: 0 | 1 = 0;
  let reading = handle.read(buffers[turn], 0, READ_BYTES, 0);
  for (;;) {
    const { bytesRead } = await reading;
    if (bytesRead === 0) break;
    const filled = buffers[turn];
    size += bytesRead;
    turn = turn === 0 ? 1 : 0;
    reading = handle.read(buffers[turn], 0, READ_BYTES, size);
    hash.update(filled.subarray(0, bytesRead));
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * hashFile of many files (a scan of thousands of new files); the first error is thrown. Small files are read
 * synchronously — one open, fstat, read and close each, where a promise read costs five thread-pool round
 * trips — yielding to the event loop every SYNC_PER_YIELD files; big ones HASHES_IN_FLIGHT at a time.
 */
export async function hashFiles(files: readonly string[]): Promise<Map<string, FileDigest>> {
  const digests = new Map<string, FileDigest>();
  const big: string[] = [];
  let sinceYield = 0;
  for (const file of files) {
    const digest = hashIfSmallSync(file);
    if (digest) digests.set(file, digest);
    else big.push(file);
    if (++sinceYield >= SYNC_PER_YIELD) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < big.length) {
      const file = big[next++] as string;
      digests.set(file, await hashFile(file));
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASHES_IN_FLIGHT, big.length) }, worker));
  return digests;
}

/** Files hashed synchronously between yields (~10 ms of a busy loop). */
const SYNC_PER_YIELD = 256;

/** The digest of a file of at most READ_WHOLE_BYTES, read in one go; undefined for a bigger one. */
function hashIfSmallSync(file: string): FileDigest | undefined {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > READ_WHOLE_BYTES) return undefined;
    // One byte more than the size says: a file growing meanwhile is hashed as far as it was read.
    const buffer = Buffer.allocUnsafe(size + 1);
    let length = 0;
    for (;;) {
      const got = readSync(fd, buffer, length, buffer.length - length, length);
      length += got;
      if (got === 0 || length === buffer.length) break;
    }
    const bytes = buffer.subarray(0, length);
    return { sha256: hashText(bytes), size: bytes.length };
  } finally {
    closeSync(fd);
  }
}

// crypto.hash: one call for a small input, about half the cost of createHash().update().digest() (a pull hashes every file).
export const hashText = (text: string | Buffer): string => hash('sha256', text, 'hex');
