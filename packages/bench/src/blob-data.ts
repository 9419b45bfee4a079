// Deterministic, incompressible blob bytes: a pseudo-random pool (AES-CTR with a fixed key)
// repeated in 1 MiB chunks, each opened by a prefix naming its round and index.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export const CHUNK = 1024 * 1024;
const POOL_CHUNKS = 16;
const PREFIX = 16;

let pool: Buffer | undefined;
function randomPool(): Buffer {
  pool ??= createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 1)).update(Buffer.alloc(POOL_CHUNKS * CHUNK));
  return pool;
}

export interface BlobSpec {
  /** Varies the prefixes so each round's blob is new to the server (no dedupe). */
  round: number;
  size: number;
}

function chunk(spec: BlobSpec, index: number): Buffer {
  const source = randomPool();
  const length = Math.min(CHUNK, spec.size - index * CHUNK);
  const out = Buffer.allocUnsafe(length);
  const prefix = Buffer.alloc(PREFIX);
  prefix.writeUInt32BE(spec.round, 0);
  prefix.writeUInt32BE(index, 4);
  prefix.copy(out, 0, 0, Math.min(PREFIX, length));
  const offset = (index % POOL_CHUNKS) * CHUNK;
  if (length > PREFIX) source.copy(out, PREFIX, offset + PREFIX, offset + length);
  return out;
}

function* chunks(spec: BlobSpec): Generator<Buffer> {
  for (let index = 0; index * CHUNK < spec.size; index++) yield chunk(spec, index);
}

/** The blob as a stream (generated while it is sent). */
export function blobStream(spec: BlobSpec): Readable {
  return Readable.from(chunks(spec), { objectMode: false });
}

/** SHA-256 of the blob, computed before any timing. */
export function blobSha256(spec: BlobSpec): string {
  const hash = createHash('sha256');
  for (const part of chunks(spec)) hash.update(part);
  return hash.digest('hex');
}
