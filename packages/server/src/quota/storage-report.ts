// The storage report: quota, use per service and the biggest items — what a person needs to free space.
import { NimbusError, STORAGE_WARNING_RATIO, ZONES, type StorageItem, type StorageResponse } from '@nimbus/protocol';
import type { Kysely } from 'kysely';
import { recentPrunes } from '../backups/backup-queries.js';
import { snapshotViews } from '../backups/backup-service.js';
import type { Database } from '../db/schema.js';

const LARGEST_COUNT = 20;

export async function storageReport(db: Kysely<Database>, accountId: string): Promise<StorageResponse> {
  const account = await db
    .selectFrom('accounts')
    .select(['quota_bytes', 'used_bytes', 'reserved_bytes'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new NimbusError('NOT_FOUND', 'this account no longer exists');
  const byService: Record<string, number> = Object.fromEntries(ZONES.map((zone) => [zone, 0]));
  for (const table of ['records', 'account_blobs'] as const) {
    const rows = await db
      .selectFrom(table)
      .select(['zone', (eb) => eb.fn.sum<number>('size').as('bytes')])
      .where('account_id', '=', accountId)
      .groupBy('zone')
      .execute();
    for (const row of rows) byService[row.zone] = (byService[row.zone] ?? 0) + Number(row.bytes);
  }
  return {
    quotaBytes: account.quota_bytes,
    usedBytes: account.used_bytes,
    reservedBytes: account.reserved_bytes,
    byService,
    largest: await largestItems(db, accountId),
    // What each backup would free is computed after dedupe: chunks shared with others are not counted.
    backups: (await snapshotViews(db, accountId)).map(({ manifest: _manifest, ...view }) => view),
    prunedBackups: await recentPrunes(db, accountId),
    warning: account.used_bytes > account.quota_bytes * STORAGE_WARNING_RATIO,
  };
}

/**
 * The biggest live records, counting each one's data plus the blobs it refers to (a shared
 * blob counts in every record that uses it: the figure is what deleting the record frees at most).
 * Records without blobs come from the size index; records with blobs are all weighed, since
 * any one of them may refer to many medium-sized blobs.
 */
export async function largestItems(db: Kysely<Database>, accountId: string): Promise<StorageItem[]> {
  const plain = await db
    .selectFrom('records')
    .select(['zone', 'id', 'size', 'modified_at'])
    .where('account_id', '=', accountId)
    .where('deleted', '=', 0)
    .where('blobs', '=', '[]')
    .orderBy('size', 'desc')
    .limit(LARGEST_COUNT)
    .execute();
  const items: StorageItem[] = plain.map((r) => ({ zone: r.zone, id: r.id, bytes: r.size, blobBytes: 0, modifiedAt: r.modified_at }));
  const withBlobs = await db
    .selectFrom('records')
    .select(['zone', 'id', 'size', 'modified_at', 'blobs'])
    .where('account_id', '=', accountId)
    .where('deleted', '=', 0)
    .where('blobs', '<>', '[]')
    .execute();
  if (withBlobs.length > 0) {
    const blobRows = await db.selectFrom('account_blobs').select(['sha256', 'size']).where('account_id', '=', accountId).execute();
    const blobSize = new Map(blobRows.map((b) => [b.sha256, b.size]));
    for (const r of withBlobs) {
      const blobBytes = (JSON.parse(r.blobs) as string[]).reduce((sum, sha) => sum + (blobSize.get(sha) ?? 0), 0);
      items.push({ zone: r.zone, id: r.id, bytes: r.size + blobBytes, blobBytes, modifiedAt: r.modified_at });
    }
  }
  return items.sort((a, b) => b.bytes - a.bytes || b.modifiedAt - a.modifiedAt).slice(0, LARGEST_COUNT);
}
