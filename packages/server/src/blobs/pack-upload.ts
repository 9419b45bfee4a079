// POST /v1/blobs/pack: many small blobs in one request, verified, stored with grouped fsyncs, charged in one transaction.
import { decodeBlobPack, NimbusError, type BlobPackEntry, type BlobPackResponse } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { newId } from '../auth/tokens.js';
import type { ServerContext } from '../context.js';
import { chargeBytes } from '../quota/charge.js';
import { storageKeyFor } from './blob-key.js';
import { insertBlobs, lockAccount, presentHashes, type BlobRow } from './blob-queries.js';
import type { StagedFile } from './blob-store.js';
import { eachLimited } from './each-limited.js';
import { quotaError } from './upload-store.js';
import { uploadService } from './upload-service.js';

/** Staged files written at once. */
const WRITES_IN_FLIGHT = 32;

interface NewBlob {
  entry: BlobPackEntry;
  bytes: Uint8Array;
  file: StagedFile;
}

/**
 * Stores a pack, all or nothing. Every blob is hashed before anything is written (a bad one refuses the
 * pack). The new bytes go into the blob store first — staged in the uploads folder, whose orphans the
 * sweeper removes — then one transaction charges their total (the UPDATE's WHERE is the quota check,
 * as for a single upload) and inserts their rows; if it fails, every stored copy is deleted again. A blob
 * the account has already, or that a racing request stored meanwhile, is answered `present`, charged once.
 */
export async function storeBlobPack(ctx: ServerContext, accountId: string, body: Uint8Array): Promise<BlobPackResponse> {
  const { entries, bodies } = decodeBlobPack(body);
  entries.forEach((entry, index) => {
    if (createHash('sha256').update(bodies[index]!).digest('hex') !== entry.sha256) {
      throw new NimbusError('UPLOAD_MISMATCH', `blob ${index} does not hash to its announced SHA-256 ${entry.sha256}: nothing of this pack was stored`);
    }
  });
  const present = await presentHashes(ctx.store.reader, accountId, entries.map((entry) => entry.sha256));
  const staging = await stagingDir(ctx);
  const fresh: NewBlob[] = [];
  entries.forEach((entry, index) => {
    if (present.has(entry.sha256)) return;
    const id = newId();
    const file = { key: storageKeyFor(accountId, entry.sha256, id), stagedPath: staging.pathOf(id), size: entry.size };
    fresh.push({ entry, bytes: bodies[index]!, file });
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

  const files = fresh.map((blob) => blob.file);
  try {
    await eachLimited(fresh, WRITES_IN_FLIGHT, (blob) => writeFile(blob.file.stagedPath, blob.bytes));
    await ctx.blobs.putFiles(files);
  } catch (error) {
    await forget(ctx, files);
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
      const rows: BlobRow[] = inserting.map(({ entry, file }) => ({
        account_id: accountId,
        sha256: entry.sha256,
        size: entry.size,
        storage_key: file.key,
        zone: entry.zone,
        refcount: 0,
        created_at: now,
      }));
      await insertBlobs(trx, rows);
      return already;
    });
  } catch (error) {
    await forget(ctx, files);
    throw error;
  }
  if (raced.size > 0) {
    await forget(ctx, fresh.filter((blob) => raced.has(blob.entry.sha256)).map((blob) => blob.file));
    for (const result of results) if (raced.has(result.sha256)) result.status = 'present';
  }
  return { results };
}

/** Removes stored copies no row points at (their keys are unique to this request) and any staged file left. */
async function forget(ctx: ServerContext, files: readonly StagedFile[]): Promise<void> {
  await eachLimited(files, WRITES_IN_FLIGHT, async (file) => {
    await ctx.blobs.delete(file.key).catch(() => undefined);
    await rm(file.stagedPath, { force: true }).catch(() => undefined);
  });
}

const stagingReady = new WeakMap<ServerContext, Promise<unknown>>();

/** The upload service's staging folder (same filesystem as the blob store), created once. */
async function stagingDir(ctx: ServerContext) {
  const { staging } = uploadService(ctx);
  let ready = stagingReady.get(ctx);
  if (!ready) stagingReady.set(ctx, (ready = mkdir(staging.dir, { recursive: true })));
  await ready;
  return staging;
}
