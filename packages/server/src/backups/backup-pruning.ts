// Automatic removal of snapshots: the retention policy after each backup, and the oldest ones when the account is nearly full.
import { STORAGE_WARNING_RATIO, type PrunedSnapshot, type RetentionPolicy } from '@nimbus/protocol';
import type { ServerContext } from '../context.js';
import type { WarnLogger } from '../blobs/blob-refs.js';
import { fullAccountsWithBackups, listSnapshotRows, readPolicy, writePolicy } from './backup-queries.js';
import { deleteSnapshot } from './backup-service.js';
import { keepsAll, snapshotsToKeep } from './retention.js';

/** After a backup (or a policy change): the policy's removals, then pruning if the account is still nearly full. */
export async function pruneAfterBackup(ctx: ServerContext, accountId: string, log: WarnLogger): Promise<PrunedSnapshot[]> {
  const policy = await readPolicy(ctx.store.db, accountId);
  return [...(await applyRetention(ctx, accountId, policy, log)), ...(await pruneWhenFull(ctx, accountId, policy, log))];
}

export async function setPolicy(ctx: ServerContext, accountId: string, policy: RetentionPolicy, log: WarnLogger): Promise<PrunedSnapshot[]> {
  await writePolicy(ctx.store.db, accountId, policy, ctx.clock.now());
  return pruneAfterBackup(ctx, accountId, log);
}

/** Removes the snapshots the policy does not keep (never the newest). */
export async function applyRetention(ctx: ServerContext, accountId: string, policy: RetentionPolicy, log: WarnLogger): Promise<PrunedSnapshot[]> {
  if (keepsAll(policy)) return [];
  const rows = await listSnapshotRows(ctx.store.db, accountId);
  const kept = snapshotsToKeep(rows.map((row) => ({ id: row.id, createdAt: row.created_at })), policy);
  return removeEach(ctx, accountId, rows.filter((row) => !kept.has(row.id)).map((row) => row.id), 'policy', log);
}

/**
 * Above 90 % of the quota, and when the policy allows it: removes the oldest snapshots one by one until the
 * account is below 90 % again or only the newest is left (it is never removed).
 */
export async function pruneWhenFull(ctx: ServerContext, accountId: string, policy: RetentionPolicy, log: WarnLogger): Promise<PrunedSnapshot[]> {
  if (!policy.pruneWhenFull) return [];
  const pruned: PrunedSnapshot[] = [];
  for (;;) {
    const account = await ctx.store.db.selectFrom('accounts').select(['used_bytes', 'quota_bytes']).where('id', '=', accountId).executeTakeFirst();
    if (!account || account.used_bytes <= account.quota_bytes * STORAGE_WARNING_RATIO) return pruned;
    const rows = await listSnapshotRows(ctx.store.db, accountId);
    const oldest = rows.length > 1 ? rows[rows.length - 1] : undefined;
    if (!oldest) return pruned;
    pruned.push(...(await removeEach(ctx, accountId, [oldest.id], 'storage_full', log)));
  }
}

/** The sweeper's pass: every nearly full account with more than one snapshot whose policy allows pruning. */
export async function pruneFullAccounts(ctx: ServerContext, log: WarnLogger): Promise<number> {
  let removed = 0;
  for (const accountId of await fullAccountsWithBackups(ctx.store.db, STORAGE_WARNING_RATIO)) {
    const policy = await readPolicy(ctx.store.db, accountId);
    removed += (await pruneWhenFull(ctx, accountId, policy, log)).length;
  }
  return removed;
}

async function removeEach(ctx: ServerContext, accountId: string, ids: readonly string[], reason: PrunedSnapshot['reason'], log: WarnLogger): Promise<PrunedSnapshot[]> {
  const pruned: PrunedSnapshot[] = [];
  for (const id of ids) {
    try {
      const result = await deleteSnapshot(ctx, accountId, id, log, reason);
      if (result.pruned) pruned.push(result.pruned);
    } catch (error) {
      // Already gone (a concurrent delete): nothing to record.
      log.warn({ err: error, snapshot: id }, 'could not prune a backup snapshot');
    }
  }
  return pruned;
}
