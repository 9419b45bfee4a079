// Committing a backup snapshot: visible only once every blob it names is on the server, then the policy runs.
import { type CommitSnapshotRequest, type CommitSnapshotResponse } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import type { ServerContext } from '../context.js';
import { lockAccount, presentHashes } from '../blobs/blob-queries.js';
import { addBlobRefs, lockBlobs, type WarnLogger } from '../blobs/blob-refs.js';
import { IN_CHUNK, chunks } from '../records/chunks.js';
import { blobSizes, insertSnapshot, insertSnapshotBlobs, type SnapshotRow } from './backup-queries.js';
import { pruneAfterBackup } from './backup-pruning.js';
import { snapshotViews } from './backup-service.js';
import { readManifest } from './manifest-read.js';

/**
 * Commits a snapshot: the server reads the manifest itself, so the references it adds are exactly the chunks
 * the manifest names. Blobs not on the server come back as `missing` (nothing is committed: upload them,
 * commit again). Once committed, the retention policy runs and its removals are returned.
 */
export async function commitSnapshot(ctx: ServerContext, accountId: string, input: CommitSnapshotRequest, log: WarnLogger): Promise<CommitSnapshotResponse> {
  const manifestShas = [...new Set(input.manifest)];
  const missingManifest = await missingOf(ctx, accountId, manifestShas);
  if (missingManifest.length > 0) return { missing: missingManifest, pruned: [] };
  const manifest = await readManifest(ctx, accountId, input.manifest);
  const chunkShas = new Set<string>();
  let totalBytes = 0;
  let fileCount = 0;
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue;
    fileCount++;
    totalBytes += entry.size;
    for (const sha of entry.chunks) chunkShas.add(sha);
  }
  for (const sha of manifestShas) chunkShas.add(sha);
  const shas = [...chunkShas];
  const missing = await missingOf(ctx, accountId, shas);
  if (missing.length > 0) return { missing, pruned: [] };

  const id = randomBytes(6).toString('hex');
  const committed = await ctx.store.write(async (trx) => {
    await lockAccount(trx, accountId);
    // Under the lock: a sweep may have removed an unreferenced chunk since the check above.
    const present = await lockBlobs(trx, accountId, shas);
    const gone = shas.filter((sha) => !present.has(sha));
    if (gone.length > 0) return { gone };
    const sizes = await blobSizes(trx, accountId, shas);
    const storedBytes = [...sizes.values()].reduce((sum, blob) => sum + blob.size, 0);
    const row: SnapshotRow = {
      account_id: accountId,
      id,
      created_at: input.startedAt,
      host: input.host,
      sources: JSON.stringify(input.sources),
      manifest: JSON.stringify(input.manifest),
      file_count: fileCount,
      total_bytes: totalBytes,
      stored_bytes: storedBytes,
    };
    await insertSnapshot(trx, row);
    await insertSnapshotBlobs(trx, accountId, id, shas);
    await addBlobRefs(trx, accountId, new Map(shas.map((sha) => [sha, 1])));
    return { row };
  });
  if ('gone' in committed) return { missing: committed.gone, pruned: [] };
  const pruned = await pruneAfterBackup(ctx, accountId, log);
  const snapshot = (await snapshotViews(ctx.store.db, accountId)).find((view) => view.id === id);
  return { ...(snapshot ? { snapshot } : {}), missing: [], pruned };
}

async function missingOf(ctx: ServerContext, accountId: string, shas: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const part of chunks(shas, IN_CHUNK)) {
    const present = await presentHashes(ctx.store.db, accountId, part);
    for (const sha of part) if (!present.has(sha)) missing.push(sha);
  }
  return missing;
}
