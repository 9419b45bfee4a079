// Blob reference counting on the database side: records refer to an account's blobs; the last
// reference gone removes the blob row and refunds its bytes. The bytes themselves are deleted
// from the blob store only after the transaction commits (removeFreedBlobs).
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { chargeBytes } from '../quota/charge.js';
import { IN_CHUNK, chunks } from '../records/chunks.js';
import type { BlobStore } from './blob-store.js';

type Trx = Transaction<Database>;

export interface FreedBlob {
  sha256: string;
  storageKey: string;
}

export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Locks the account's rows for these blobs until the transaction ends and returns the ones that
 * exist. The lock (a no-op UPDATE) keeps a concurrent sweep from removing a blob between this
 * check and the reference a record write is about to add (PostgreSQL; SQLite serializes writers).
 */
export async function lockBlobs(trx: Trx, accountId: string, shas: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (const part of chunks(shas, IN_CHUNK)) {
    const rows = await trx
      .updateTable('account_blobs')
      .set({ refcount: sql`refcount` })
      .where('account_id', '=', accountId)
      .where('sha256', 'in', part)
      .returning(['sha256'])
      .execute();
    for (const row of rows) present.add(row.sha256);
  }
  return present;
}

/** Adds `n` references per blob. The blobs must exist (see lockBlobs). */
export async function addBlobRefs(trx: Trx, accountId: string, counts: ReadonlyMap<string, number>): Promise<void> {
  for (const [step, shas] of groupByCount(counts)) {
    for (const part of chunks(shas, IN_CHUNK)) {
      await trx
        .updateTable('account_blobs')
        .set({ refcount: sql`refcount + ${step}` })
        .where('account_id', '=', accountId)
        .where('sha256', 'in', part)
        .execute();
    }
  }
}

/**
 * Removes `n` references per blob. Blobs left with none are deleted and their bytes refunded;
 * returns them so the caller deletes their bytes once the transaction has committed.
 */
export async function dropBlobRefs(trx: Trx, accountId: string, counts: ReadonlyMap<string, number>): Promise<FreedBlob[]> {
  const groups = groupByCount(counts);
  for (const [step, shas] of groups) {
    for (const part of chunks(shas, IN_CHUNK)) {
      await trx
        .updateTable('account_blobs')
        .set({ refcount: sql`refcount - ${step}` })
        .where('account_id', '=', accountId)
        .where('sha256', 'in', part)
        .execute();
    }
  }
  const freed: FreedBlob[] = [];
  let refund = 0;
  for (const part of chunks([...groups.values()].flat(), IN_CHUNK)) {
    const rows = await trx
      .deleteFrom('account_blobs')
      .where('account_id', '=', accountId)
      .where('sha256', 'in', part)
      .where('refcount', '<=', 0)
      .returning(['sha256', 'storage_key', 'size'])
      .execute();
    for (const row of rows) {
      freed.push({ sha256: row.sha256, storageKey: row.storage_key });
      refund += row.size;
    }
  }
  if (refund > 0) await chargeBytes(trx, accountId, -refund);
  return freed;
}

/** Deletes freed blobs' bytes. Failures are logged, not thrown: the metadata is already gone. */
export async function removeFreedBlobs(store: BlobStore, freed: readonly FreedBlob[], log: WarnLogger): Promise<void> {
  await Promise.all(
    freed.map(async (blob) => {
      try {
        await store.delete(blob.storageKey);
      } catch (error) {
        log.warn({ err: error, sha256: blob.sha256 }, 'could not delete the bytes of a freed blob');
      }
    }),
  );
}

/** Turns {sha: n} into {n: [sha…]} so one UPDATE serves every blob changed by the same amount. */
function groupByCount(counts: ReadonlyMap<string, number>): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const [sha, n] of counts) {
    if (n <= 0) continue;
    const group = groups.get(n);
    if (group) group.push(sha);
    else groups.set(n, [sha]);
  }
  return groups;
}
