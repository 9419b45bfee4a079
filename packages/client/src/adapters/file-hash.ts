// SHA-256 of a file, streamed (a 1 GB video never sits in memory); small files in one read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Files up to this size are read whole: a stream would allocate a 1 MiB buffer for each one. */
const READ_WHOLE_BYTES = 1024 * 1024;
/** Files hashed at the same time by hashFiles. */
const HASHES_IN_FLIGHT = 16;

/** Hashes the file as it is read; `size` is the bytes actually hashed (not a separate stat). */
export async function hashFile(file: string): Promise<FileDigest> {
  const handle = await open(file, 'r');
  try {
    if ((await handle.stat()).size <= READ_WHOLE_BYTES) {
      const bytes = await handle.readFile();
      return { sha256: hashText(bytes), size: bytes.length };
    }
  } finally {
    await handle.close();
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), size };
}

/** hashFile of many files, a few at a time (a scan of thousands of new files); the first error is thrown. */
export async function hashFiles(files: readonly string[]): Promise<Map<string, FileDigest>> {
  const digests = new Map<string, FileDigest>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      digests.set(file, await hashFile(file));
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASHES_IN_FLIGHT, files.length) }, worker));
  return digests;
}

export const hashText = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');
