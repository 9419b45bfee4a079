// Housekeeping of blobs and uploads: abandoned sessions, unreferenced blobs, staged files nobody owns.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerContext } from '../context.js';
import { chargeBytes, releaseReservation } from '../quota/charge.js';
import { abandonedUploads, allUploadIds, deleteUnreferencedBlob, deleteUpload, lockAccount, unreferencedBlobs } from './blob-queries.js';
import { unusedObjects } from './blob-refs.js';
import { uploadService } from './upload-service.js';

const BATCH = 500;

export interface BlobSweepResult {
  uploads: number;
  blobs: number;
  orphanFiles: number;
}

/** Uploads idle longer than the expiry: staged bytes deleted, reservation released. */
export async function sweepAbandonedUploads(ctx: ServerContext, cutoff: number): Promise<number> {
  const service = uploadService(ctx);
  let swept = 0;
  for (const row of await abandonedUploads(ctx.store.db, cutoff, BATCH)) {
    if (service.transfers.busy(row.id)) continue;
    const deleted = await ctx.store.db.transaction().execute(async (trx) => {
      await lockAccount(trx, row.account_id);
      // Re-checked under the lock: a PUT may have touched it since the scan.
      if (!(await deleteUpload(trx, row.id, cutoff))) return false;
      await releaseReservation(trx, row.account_id, row.size);
      return true;
    });
    if (!deleted) continue;
    await service.drop(row.id);
    swept++;
  }
  return swept;
}

/** Blobs no record refers to, older than the expiry (time for a record to refer to a fresh upload): refunded and deleted. */
export async function sweepUnreferencedBlobs(ctx: ServerContext, cutoff: number): Promise<number> {
  let swept = 0;
  for (const row of await unreferencedBlobs(ctx.store.db, cutoff, BATCH)) {
    const deleted = await ctx.store.db.transaction().execute(async (trx) => {
      await lockAccount(trx, row.account_id);
      if (!(await deleteUnreferencedBlob(trx, row))) return false;
      await chargeBytes(trx, row.account_id, -row.size);
      return true;
    });
    if (!deleted) continue;
    // After the commit: a crash here leaves bytes without a row (harmless), never a row without bytes.
    const freed = { sha256: row.sha256, storageKey: row.storage_key, shared: row.storage_offset !== null };
    for (const key of await unusedObjects(ctx.store.reader, [freed])) await ctx.blobs.delete(key);
    swept++;
  }
  return swept;
}

/** Staged files whose session is gone (a crash between steps), once they are older than the expiry. */
export async function sweepOrphanStagedFiles(ctx: ServerContext, cutoff: number): Promise<number> {
  const service = uploadService(ctx);
  let names: string[];
  try {
    names = await readdir(service.staging.dir);
  } catch {
    return 0;
  }
  if (names.length === 0) return 0;
  const live = new Set((await allUploadIds(ctx.store.db)).map((row) => row.id));
  let removed = 0;
  for (const name of names) {
    if (live.has(name) || service.transfers.busy(name)) continue;
    const info = await stat(join(service.staging.dir, name)).catch(() => undefined);
    if (!info?.isFile() || info.mtimeMs >= cutoff) continue;
    await service.drop(name).catch(() => undefined);
    removed++;
  }
  return removed;
}
