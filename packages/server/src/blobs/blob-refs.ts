// Blob reference counting on the database side: records refer to an account's blobs; the last
// reference gone removes the blob row and refunds its bytes. The bytes themselves are deleted
// from the blob store only after the transaction commits (removeFreedBlobs).
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { chargeBytes } from '../quota/charge.js';
import { IN_CHUNK, chunks } from '../records/chunks.js';
import { namedStorageKeys } from './blob-queries.js';
import type { BlobStore } from './blob-store.js';
import { eachLimited } from './each-limited.js';

type Trx = Transaction<Database>;

export interface FreedBlob {
  sha256: string;
  storageKey: string;
  /** Its bytes are a range of an object other blobs of its pack may still use. */
  shared: boolean;
}

/** Deletes of freed objects at once. */
const DELETES_IN_FLIGHT = 16;

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
      .returning(['sha256', 'storage_key', 'storage_offset', 'size'])
      .execute();
    for (const row of rows) {
      freed.push({ sha256: row.sha256, storageKey: row.storage_key, shared: row.storage_offset !== null });
      refund += row.size;
    }
  }
  if (refund > 0) await chargeBytes(trx, accountId, -refund);
  return freed;
}

/**
 * The objects freed blobs leave unused, to delete once their rows are gone (committed): a blob's own object, and
 * a pack object no row names any more. No row can name a pack object again: its key is used by one upload only.
 */
export async function unusedObjects(db: Kysely<Database>, freed: readonly FreedBlob[]): Promise<string[]> {
  const own = freed.filter((blob) => !blob.shared).map((blob) => blob.storageKey);
  const packs = [...new Set(freed.filter((blob) => blob.shared).map((blob) => blob.storageKey))];
  if (packs.length === 0) return own;
  const named = await namedStorageKeys(db, packs);
  return [...own, ...packs.filter((key) => !named.has(key))];
}

/**
 * Deletes freed blobs' bytes (`db` sees the commit that freed them). Failures are logged, not thrown: the metadata
 * is already gone, and bytes no row names are harmless.
 */
export async function removeFreedBlobs(db: Kysely<Database>, store: BlobStore, freed: readonly FreedBlob[], log: WarnLogger): Promise<void> {
  let keys: string[];
  try {
    keys = await unusedObjects(db, freed);
  } catch (error) {
    log.warn({ err: error, blobs: freed.length }, 'could not tell which freed objects are unused');
    return;
  }
  await eachLimited(keys, DELETES_IN_FLIGHT, async (key) => {
    try {
      await store.delete(key);
    } catch (error) {
      log.warn({ err: error, key }, 'could not delete the bytes of a freed blob');
    }
  });
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
