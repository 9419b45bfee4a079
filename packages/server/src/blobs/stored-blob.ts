// Where a blob's bytes are: a whole object of the blob store, or a range of an object shared with its pack.
import { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from './blob-store.js';

export interface BlobLocation {
  storage_key: string;
  /** NULL: the object is the blob; a number: the blob starts there inside a shared object. */
  storage_offset: number | null;
  size: number;
}

/** A stream of the blob's bytes, or of `range` (relative to the blob, inside it). */
export async function openStoredBlob(store: BlobStore, blob: BlobLocation, range?: ByteRange): Promise<Readable> {
  if (blob.storage_offset === null) return store.get(blob.storage_key, range);
  // Empty blobs are never packed; this keeps an empty range from being asked of the store all the same.
  if (blob.size === 0) return Readable.from([]);
  const start = blob.storage_offset + (range?.start ?? 0);
  const end = blob.storage_offset + (range ? range.end : blob.size - 1);
  return store.get(blob.storage_key, { start, end });
}
