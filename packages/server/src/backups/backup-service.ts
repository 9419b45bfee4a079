// Backup snapshots: the list with what each would free, and delete (by the user, or pruned with a reason).
import { NimbusError, type PrunedSnapshot, type PruneReason, type SnapshotView } from '@nimbus/protocol';
import type { Kysely } from 'kysely';
import type { ServerContext } from '../context.js';
import type { Database } from '../db/schema.js';
import { lockAccount } from '../blobs/blob-queries.js';
import { dropBlobRefs, removeFreedBlobs, type FreedBlob, type WarnLogger } from '../blobs/blob-refs.js';
import {
  blobSizes,
  deleteSnapshotRows,
  exclusiveBytes,
  findSnapshot,
  listSnapshotRows,
  recordPrune,
  snapshotBlobShas,
  type SnapshotRow,
} from './backup-queries.js';

/** The account's snapshots, newest first, each with what deleting it alone would free now. */
export async function snapshotViews(db: Kysely<Database>, accountId: string): Promise<SnapshotView[]> {
  const rows = await listSnapshotRows(db, accountId);
  if (rows.length === 0) return [];
  const exclusive = await exclusiveBytes(db, accountId);
  return rows.map((row) => viewOf(row, exclusive.get(row.id) ?? 0));
}

export async function snapshotView(ctx: ServerContext, accountId: string, id: string): Promise<SnapshotView> {
  const view = (await snapshotViews(ctx.store.db, accountId)).find((v) => v.id === id);
  if (!view) throw new NimbusError('NOT_FOUND', `no backup ${id}`);
  return view;
}

/**
 * Deletes a snapshot: its references go, blobs nobody else refers to are freed and refunded.
 * With a `reason` (the server pruned it) the removal is recorded for `nimbus storage`.
 */
export async function deleteSnapshot(
  ctx: ServerContext,
  accountId: string,
  id: string,
  log: WarnLogger,
  reason?: PruneReason,
): Promise<{ freedBytes: number; pruned?: PrunedSnapshot }> {
  const done = await ctx.store.write(async (trx) => {
    await lockAccount(trx, accountId);
    const row = await findSnapshot(trx, accountId, id);
    if (!row) return undefined;
    const shas = await snapshotBlobShas(trx, accountId, id);
    let freedBytes = 0;
    for (const blob of (await blobSizes(trx, accountId, shas)).values()) if (blob.refcount <= 1) freedBytes += blob.size;
    await deleteSnapshotRows(trx, accountId, id);
    const freed: FreedBlob[] = await dropBlobRefs(trx, accountId, new Map(shas.map((sha) => [sha, 1])));
    let pruned: PrunedSnapshot | undefined;
    if (reason) {
      pruned = { id, createdAt: row.created_at, removedAt: ctx.clock.now(), freedBytes, reason };
      await recordPrune(trx, accountId, pruned);
    }
    return { freedBytes, freed, pruned };
  });
  if (!done) throw new NimbusError('NOT_FOUND', `no backup ${id}`);
  // Devices paused for storage may fit now.
  if (done.freedBytes > 0) ctx.notifier.publish(accountId, { kind: 'storage' });
  await removeFreedBlobs(ctx.store.reader, ctx.blobs, done.freed, log);
  return { freedBytes: done.freedBytes, ...(done.pruned ? { pruned: done.pruned } : {}) };
}

function viewOf(row: SnapshotRow, freesBytes: number): SnapshotView {
  return {
    id: row.id,
    createdAt: row.created_at,
    host: row.host,
    sources: JSON.parse(row.sources) as string[],
    fileCount: row.file_count,
    totalBytes: row.total_bytes,
    storedBytes: row.stored_bytes,
    freesBytes,
    manifest: JSON.parse(row.manifest) as string[],
  };
}
