// SHA-256 of a file, streamed (a 1 GB video never sits in memory).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Hashes the file as it is read; `size` is the bytes actually hashed (not a separate stat). */
export async function hashFile(file: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), size };
}

export const hashText = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');
