// All database I/O of backups: snapshots, their blob rows, the policy, the prune log.
import { DEFAULT_RETENTION, type PrunedSnapshot, type PruneReason, type RetentionPolicy } from '@nimbus/protocol';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BackupSnapshotsTable, Database } from '../db/schema.js';
import { IN_CHUNK, chunks } from '../records/chunks.js';

type Db = Kysely<Database> | Transaction<Database>;
export type SnapshotRow = Selectable<BackupSnapshotsTable>;

/** Rows per multi-row insert of backup_blobs (3 parameters a row: well within both databases' limits). */
const INSERT_ROWS = 1000;

export function insertSnapshot(db: Db, row: SnapshotRow): Promise<unknown> {
  return db.insertInto('backup_snapshots').values(row).execute();
}

export async function insertSnapshotBlobs(db: Db, accountId: string, snapshotId: string, shas: readonly string[]): Promise<void> {
  for (const part of chunks(shas, INSERT_ROWS)) {
    await db
      .insertInto('backup_blobs')
      .values(part.map((sha256) => ({ account_id: accountId, snapshot_id: snapshotId, sha256 })))
      .execute();
  }
}

export function findSnapshot(db: Db, accountId: string, id: string): Promise<SnapshotRow | undefined> {
  return db.selectFrom('backup_snapshots').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** The account's snapshots, newest first. */
export function listSnapshotRows(db: Db, accountId: string): Promise<SnapshotRow[]> {
  return db.selectFrom('backup_snapshots').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

export async function snapshotBlobShas(db: Db, accountId: string, snapshotId: string): Promise<string[]> {
  const rows = await db.selectFrom('backup_blobs').select('sha256').where('account_id', '=', accountId).where('snapshot_id', '=', snapshotId).execute();
  return rows.map((row) => row.sha256);
}

/** Removes the snapshot and its blob rows (the caller drops the blob references). */
export async function deleteSnapshotRows(db: Db, accountId: string, snapshotId: string): Promise<void> {
  await db.deleteFrom('backup_blobs').where('account_id', '=', accountId).where('snapshot_id', '=', snapshotId).execute();
  await db.deleteFrom('backup_snapshots').where('account_id', '=', accountId).where('id', '=', snapshotId).execute();
}

/**
 * Per snapshot, the bytes only it refers to: its blobs whose one reference is its own. A blob shared with
 * another snapshot or a synced file has more than one reference and is not counted.
 */
export async function exclusiveBytes(db: Db, accountId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('backup_blobs as bb')
    .innerJoin('account_blobs as ab', (join) => join.onRef('ab.account_id', '=', 'bb.account_id').onRef('ab.sha256', '=', 'bb.sha256'))
    .select(['bb.snapshot_id', (eb) => eb.fn.sum<number>('ab.size').as('bytes')])
    .where('bb.account_id', '=', accountId)
    .where('ab.refcount', '=', 1)
    .groupBy('bb.snapshot_id')
    .execute();
  return new Map(rows.map((row) => [row.snapshot_id, Number(row.bytes)]));
}

/** Sizes of these blobs of the account (missing ones are left out). */
export async function blobSizes(db: Db, accountId: string, shas: readonly string[]): Promise<Map<string, { size: number; refcount: number }>> {
  const sizes = new Map<string, { size: number; refcount: number }>();
  for (const part of chunks(shas, IN_CHUNK)) {
    const rows = await db
      .selectFrom('account_blobs')
      .select(['sha256', 'size', 'refcount'])
      .where('account_id', '=', accountId)
      .where('sha256', 'in', part)
      .execute();
    for (const row of rows) sizes.set(row.sha256, { size: row.size, refcount: row.refcount });
  }
  return sizes;
}

export async function readPolicy(db: Db, accountId: string): Promise<RetentionPolicy> {
  const row = await db.selectFrom('backup_policies').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (!row) return DEFAULT_RETENTION;
  return {
    keepLast: row.keep_last,
    keepDaily: row.keep_daily,
    keepWeekly: row.keep_weekly,
    keepMonthly: row.keep_monthly,
    pruneWhenFull: row.prune_when_full === 1,
  };
}

export async function writePolicy(db: Db, accountId: string, policy: RetentionPolicy, now: number): Promise<void> {
  const values = {
    keep_last: policy.keepLast,
    keep_daily: policy.keepDaily,
    keep_weekly: policy.keepWeekly,
    keep_monthly: policy.keepMonthly,
    prune_when_full: policy.pruneWhenFull ? 1 : 0,
    updated_at: now,
  };
  await db
    .insertInto('backup_policies')
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .execute();
}

export function recordPrune(db: Db, accountId: string, pruned: PrunedSnapshot): Promise<unknown> {
  return db
    .insertInto('backup_prunes')
    .values({
      account_id: accountId,
      snapshot_id: pruned.id,
      created_at: pruned.createdAt,
      removed_at: pruned.removedAt,
      freed_bytes: pruned.freedBytes,
      reason: pruned.reason,
    })
    .execute();
}

/** The last prunes of the account, newest first. */
export async function recentPrunes(db: Db, accountId: string, limit = 20): Promise<PrunedSnapshot[]> {
  const rows = await db
    .selectFrom('backup_prunes')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('removed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.snapshot_id,
    createdAt: row.created_at,
    removedAt: row.removed_at,
    freedBytes: row.freed_bytes,
    reason: row.reason as PruneReason,
  }));
}

/** Accounts above `ratio` of their quota with more than one snapshot: candidates for pruning when full. */
export async function fullAccountsWithBackups(db: Db, ratio: number): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts as a')
    .innerJoin('backup_snapshots as s', 's.account_id', 'a.id')
    .select('a.id')
    // Whole percents: PostgreSQL will not multiply a bigint by a fraction passed as a parameter.
    .where(sql<boolean>`a.used_bytes * 100 > a.quota_bytes * ${Math.round(ratio * 100)}`)
    .groupBy('a.id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  return rows.map((row) => row.id);
}
