// POST /v1/blobs/pack: many small blobs in one request, verified, stored with grouped fsyncs (backup chunks in one object), charged in one transaction.
import { decodeBlobPack, NimbusError, type BlobPackEntry, type BlobPackResponse } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { newId } from '../auth/tokens.js';
import type { ServerContext } from '../context.js';
import { chargeBytes } from '../quota/charge.js';
import { packKeyFor, storageKeyFor } from './blob-key.js';
import { insertBlobs, lockAccount, presentHashes, type BlobRow } from './blob-queries.js';
import type { ObjectBytes } from './blob-store.js';
import { eachLimited } from './each-limited.js';
import { quotaError } from './upload-store.js';

/** Deletes of a failed pack's objects at once. */
const DELETES_IN_FLIGHT = 16;

interface NewBlob {
  entry: BlobPackEntry;
  body: Uint8Array;
  /** Where its bytes go: its own object (offset null), or a range of the pack's shared object. */
  key: string;
  offset: number | null;
}

/**
 * Stores a pack, all or nothing. Every blob is hashed before anything is written (a bad one refuses the
 * pack). The new bytes go into the blob store first, durable, under keys unique to this request; then one
 * transaction charges their total (the UPDATE's WHERE is the quota check, as for a single upload) and
 * inserts their rows; if it fails, every stored copy is deleted again. A crash in between leaves bytes no
 * row names (harmless), never a row without bytes. A blob the account has already, or that a racing
 * request stored meanwhile, is answered `present` and charged once.
 *
 * Backup chunks share one object per pack (each row names its range): one file to create and fsync instead of
 * one per chunk, and creating files cost the server more than writing their bytes (ext4's inode allocation).
 * Other zones keep an object per blob, so a deleted file's bytes leave the disk with it; a pack object goes once
 * its last chunk is freed.
 */
export async function storeBlobPack(ctx: ServerContext, accountId: string, body: Uint8Array): Promise<BlobPackResponse> {
  const { entries, bodies } = decodeBlobPack(body);
  entries.forEach((entry, index) => {
    if (createHash('sha256').update(bodies[index]!).digest('hex') !== entry.sha256) {
      throw new NimbusError('UPLOAD_MISMATCH', `blob ${index} does not hash to its announced SHA-256 ${entry.sha256}: nothing of this pack was stored`);
    }
  });
  const present = await presentHashes(ctx.store.reader, accountId, entries.map((entry) => entry.sha256));
  const results = entries.map((entry) => ({ sha256: entry.sha256, status: present.has(entry.sha256) ? ('present' as const) : ('stored' as const) }));
  const { fresh, objects } = placeBlobs(
    accountId,
    entries.flatMap((entry, index) => (present.has(entry.sha256) ? [] : [{ entry, body: bodies[index]! }])),
  );
  if (fresh.length === 0) return { results };

  const needed = fresh.reduce((sum, blob) => sum + blob.entry.size, 0);
  // Refused early when it plainly cannot fit, before any byte is written (the transaction checks again).
  const early = await ctx.store.reader
    .selectFrom('accounts')
    .select(['used_bytes', 'reserved_bytes', 'quota_bytes'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (early && early.used_bytes + early.reserved_bytes + needed > early.quota_bytes) {
    throw quotaError({ ok: false, usedBytes: early.used_bytes + early.reserved_bytes, quotaBytes: early.quota_bytes, neededBytes: needed });
  }

  try {
    await ctx.blobs.putObjects(objects);
  } catch (error) {
    await forget(ctx, objects);
    throw error;
  }

  let raced: Set<string>;
  try {
    raced = await ctx.store.write(async (trx) => {
      await lockAccount(trx, accountId);
      const already = await presentHashes(trx, accountId, fresh.map((blob) => blob.entry.sha256));
      const inserting = fresh.filter((blob) => !already.has(blob.entry.sha256));
      const total = inserting.reduce((sum, blob) => sum + blob.entry.size, 0);
      if (total > 0) {
        const charged = await chargeBytes(trx, accountId, total);
        if (!charged.ok) throw quotaError(charged);
      }
      const now = ctx.clock.now();
      const rows: BlobRow[] = inserting.map(({ entry, key, offset }) => ({
        account_id: accountId,
        sha256: entry.sha256,
        size: entry.size,
        storage_key: key,
        storage_offset: offset,
        zone: entry.zone,
        refcount: 0,
        created_at: now,
      }));
      await insertBlobs(trx, rows);
      return already;
    });
  } catch (error) {
    await forget(ctx, objects);
    throw error;
  }
  if (raced.size > 0) {
    // Objects no inserted row names: a raced blob's own one, or the pack object if every chunk in it raced.
    const named = new Set(fresh.filter((blob) => !raced.has(blob.entry.sha256)).map((blob) => blob.key));
    await forget(ctx, objects.filter((object) => !named.has(object.key)));
    for (const result of results) if (raced.has(result.sha256)) result.status = 'present';
  }
  return { results };
}

/** Chooses each new blob's object: backup chunks (not empty) laid end to end in one, the others one each. */
function placeBlobs(accountId: string, blobs: readonly { entry: BlobPackEntry; body: Uint8Array }[]): { fresh: NewBlob[]; objects: ObjectBytes[] } {
  const fresh: NewBlob[] = [];
  const objects: ObjectBytes[] = [];
  const packed = blobs.filter((blob) => blob.entry.zone === 'backups' && blob.entry.size > 0);
  for (const blob of blobs) {
    if (packed.includes(blob)) continue;
    const key = storageKeyFor(accountId, blob.entry.sha256, newId());
    fresh.push({ ...blob, key, offset: null });
    objects.push({ key, bytes: blob.body });
  }
  if (packed.length > 0) {
    const key = packKeyFor(accountId, newId());
    let offset = 0;
    for (const blob of packed) {
      fresh.push({ ...blob, key, offset });
      offset += blob.body.length;
    }
    objects.push({ key, bytes: endToEnd(packed.map((blob) => blob.body)) });
  }
  return { fresh, objects };
}

/** The parts as one byte string: a view when they already follow each other in one buffer (a whole new pack), else a copy. */
function endToEnd(parts: readonly Uint8Array[]): Uint8Array {
  const first = parts[0]!;
  let end = first.byteOffset + first.byteLength;
  for (const part of parts.slice(1)) {
    if (part.buffer !== first.buffer || part.byteOffset !== end) return Buffer.concat(parts);
    end += part.byteLength;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** Removes stored copies no row points at (their keys are unique to this request). */
async function forget(ctx: ServerContext, objects: readonly ObjectBytes[]): Promise<void> {
  await eachLimited(objects, DELETES_IN_FLIGHT, (object) => ctx.blobs.delete(object.key).catch(() => undefined));
}
