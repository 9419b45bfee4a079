// POST /v1/blobs/pack: many small blobs in one request, verified, stored with grouped fsyncs, charged in one transaction.
import { decodeBlobPack, NimbusError, type BlobPackEntry, type BlobPackResponse } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { newId } from '../auth/tokens.js';
import type { ServerContext } from '../context.js';
import { chargeBytes } from '../quota/charge.js';
import { storageKeyFor } from './blob-key.js';
import { insertBlobs, lockAccount, presentHashes, type BlobRow } from './blob-queries.js';
import type { ObjectBytes } from './blob-store.js';
import { eachLimited } from './each-limited.js';
import { quotaError } from './upload-store.js';

/** Deletes of a failed pack's objects at once. */
const DELETES_IN_FLIGHT = 16;

interface NewBlob {
  entry: BlobPackEntry;
  object: ObjectBytes;
}

/**
 * Stores a pack, all or nothing. Every blob is hashed before anything is written (a bad one refuses the
 * pack). The new bytes go into the blob store first, durable, under keys unique to this request; then one
 * transaction charges their total (the UPDATE's WHERE is the quota check, as for a single upload) and
 * inserts their rows; if it fails, every stored copy is deleted again. A crash in between leaves bytes no
 * row names (harmless), never a row without bytes. A blob the account has already, or that a racing
 * request stored meanwhile, is answered `present` and charged once.
 */
export async function storeBlobPack(ctx: ServerContext, accountId: string, body: Uint8Array): Promise<BlobPackResponse> {
  const { entries, bodies } = decodeBlobPack(body);
  entries.forEach((entry, index) => {
    if (createHash('sha256').update(bodies[index]!).digest('hex') !== entry.sha256) {
      throw new NimbusError('UPLOAD_MISMATCH', `blob ${index} does not hash to its announced SHA-256 ${entry.sha256}: nothing of this pack was stored`);
    }
  });
  const present = await presentHashes(ctx.store.reader, accountId, entries.map((entry) => entry.sha256));
  const fresh: NewBlob[] = [];
  entries.forEach((entry, index) => {
    if (!present.has(entry.sha256)) fresh.push({ entry, object: { key: storageKeyFor(accountId, entry.sha256, newId()), bytes: bodies[index]! } });
  });
  const results = entries.map((entry) => ({ sha256: entry.sha256, status: present.has(entry.sha256) ? ('present' as const) : ('stored' as const) }));
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

  const objects = fresh.map((blob) => blob.object);
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
      const rows: BlobRow[] = inserting.map(({ entry, object }) => ({
        account_id: accountId,
        sha256: entry.sha256,
        size: entry.size,
        storage_key: object.key,
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
    await forget(ctx, fresh.filter((blob) => raced.has(blob.entry.sha256)).map((blob) => blob.object));
    for (const result of results) if (raced.has(result.sha256)) result.status = 'present';
  }
  return { results };
}

/** Removes stored copies no row points at (their keys are unique to this request). */
async function forget(ctx: ServerContext, objects: readonly ObjectBytes[]): Promise<void> {
  await eachLimited(objects, DELETES_IN_FLIGHT, (object) => ctx.blobs.delete(object.key).catch(() => undefined));
}
