// The last step of an upload: bytes into the blob store first, then one transaction that makes them count.
import { NimbusError } from '@nimbus/protocol';
import type { ServerContext } from '../context.js';
import { chargeBytes, releaseReservation, type ChargeResult } from '../quota/charge.js';
import { deleteUpload, findBlob, insertBlob, lockAccount, type UploadRow } from './blob-queries.js';
import { storageKeyFor } from './blob-key.js';

export function quotaError(refusal: Extract<ChargeResult, { ok: false }>): NimbusError {
  const { usedBytes, quotaBytes, neededBytes } = refusal;
  return new NimbusError(
    'QUOTA_EXCEEDED',
    `not enough storage: ${usedBytes} of ${quotaBytes} bytes are in use and this needs ${neededBytes} more; free some space or upgrade`,
    { usedBytes, quotaBytes, neededBytes },
  );
}

/**
 * Stores a verified upload. The bytes are put in the blob store before the row that points at
 * them commits, so a row never names missing bytes; if the transaction fails, or the account
 * already had the blob (a racing device), the stored copy is removed again. The reservation
 * becomes a charge in the same transaction, so the blob is charged exactly once.
 */
export async function storeUpload(ctx: ServerContext, upload: UploadRow, stagedPath: string): Promise<void> {
  const { account_id: accountId, sha256, size } = upload;
  const key = storageKeyFor(accountId, sha256, upload.id);
  await ctx.blobs.putFile(key, stagedPath, size);
  let inserted: boolean;
  try {
    inserted = await ctx.store.db.transaction().execute(async (trx) => {
      await lockAccount(trx, accountId);
      if (!(await deleteUpload(trx, upload.id))) throw new NimbusError('NOT_FOUND', 'no such upload (it was cancelled or expired)');
      await releaseReservation(trx, accountId, size);
      if (await findBlob(trx, accountId, sha256)) return false;
      const charged = await chargeBytes(trx, accountId, size);
      if (!charged.ok) throw quotaError(charged);
      await insertBlob(trx, { account_id: accountId, sha256, size, storage_key: key, storage_offset: null, zone: upload.zone, refcount: 0, created_at: ctx.clock.now() });
      return true;
    });
  } catch (error) {
    await deleteUnlessReferenced(ctx, accountId, sha256, key);
    throw error;
  }
  if (!inserted) await deleteUnlessReferenced(ctx, accountId, sha256, key);
}

async function deleteUnlessReferenced(ctx: ServerContext, accountId: string, sha256: string, key: string): Promise<void> {
  const row = await findBlob(ctx.store.db, accountId, sha256).catch(() => undefined);
  if (row?.storage_key === key) return;
  await ctx.blobs.delete(key).catch(() => undefined);
}
