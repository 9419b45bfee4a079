// Reading blobs: "which of these do you have?" and downloads (whole or one range).
import { NimbusError, type BlobCheckResponse } from '@nimbus/protocol';
import type { Readable } from 'node:stream';
import type { ServerContext } from '../context.js';
import type { ByteRange } from './blob-store.js';
import { findBlob, presentHashes } from './blob-queries.js';
import { parseRange } from './range.js';
import { openStoredBlob } from './stored-blob.js';

export async function checkBlobs(ctx: ServerContext, accountId: string, hashes: readonly string[]): Promise<BlobCheckResponse> {
  const unique = [...new Set(hashes)];
  const present = await presentHashes(ctx.store.db, accountId, unique);
  return { present: unique.filter((h) => present.has(h)), missing: unique.filter((h) => !present.has(h)) };
}

export interface BlobDownload {
  sha256: string;
  size: number;
  /** The part being sent; undefined for the whole blob. */
  range: ByteRange | undefined;
  /** Absent for HEAD. */
  body: Readable | undefined;
}

/** The account's blob, or NOT_FOUND (another account's blob is never revealed). */
export async function openBlob(
  ctx: ServerContext,
  accountId: string,
  sha256: string,
  rangeHeader: string | undefined,
  withBody: boolean,
): Promise<BlobDownload> {
  const row = /^[0-9a-f]{64}$/.test(sha256) ? await findBlob(ctx.store.db, accountId, sha256) : undefined;
  if (!row) throw new NimbusError('NOT_FOUND', 'no such blob');
  const range = parseRange(rangeHeader, row.size);
  if (range === null) {
    throw new NimbusError('RANGE_NOT_SATISFIABLE', `the blob is ${row.size} bytes: ask for one range "bytes=start-end" inside it`, {
      size: row.size,
    });
  }
  const body = withBody ? await openStoredBlob(ctx.blobs, row, range) : undefined;
  return { sha256, size: row.size, range, body };
}
