// All database I/O of blobs and upload sessions (the repository under the upload and blob services).
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AccountBlobsTable, Database, UploadsTable } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;
export type UploadRow = Selectable<UploadsTable>;
export type BlobRow = Selectable<AccountBlobsTable>;

/**
 * Serializes this transaction with every other writer of the account: on PostgreSQL the no-op
 * UPDATE takes the account row lock (SQLite serializes all transactions anyway).
 */
export async function lockAccount(trx: Transaction<Database>, accountId: string): Promise<boolean> {
  const result = await trx
    .updateTable('accounts')
    .set({ reserved_bytes: sql`reserved_bytes` })
    .where('id', '=', accountId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export function findBlob(db: Db, accountId: string, sha256: string): Promise<BlobRow | undefined> {
  return db.selectFrom('account_blobs').selectAll().where('account_id', '=', accountId).where('sha256', '=', sha256).executeTakeFirst();
}

export async function presentHashes(db: Db, accountId: string, hashes: readonly string[]): Promise<Set<string>> {
  const rows = await db
    .selectFrom('account_blobs')
    .select('sha256')
    .where('account_id', '=', accountId)
    .where('sha256', 'in', [...hashes])
    .execute();
  return new Set(rows.map((row) => row.sha256));
}

export function insertBlob(db: Db, row: BlobRow): Promise<unknown> {
  return db.insertInto('account_blobs').values(row).execute();
}

/** Inserts many blob rows (a pack), in statements of a few hundred rows (SQLite bounds a statement's parameters). */
export async function insertBlobs(db: Db, rows: readonly BlobRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('account_blobs').values(rows.slice(i, i + 500)).execute();
}

export function findUpload(db: Db, accountId: string, id: string): Promise<UploadRow | undefined> {
  return db.selectFrom('uploads').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

export function findUploadBySha(db: Db, accountId: string, sha256: string): Promise<UploadRow | undefined> {
  return db.selectFrom('uploads').selectAll().where('account_id', '=', accountId).where('sha256', '=', sha256).executeTakeFirst();
}

export function insertUpload(db: Db, row: UploadRow): Promise<unknown> {
  return db.insertInto('uploads').values(row).execute();
}

/** Deletes the session; false when it was gone already (completed, cancelled or swept meanwhile). */
export async function deleteUpload(db: Db, id: string, olderThan?: number): Promise<boolean> {
  let query = db.deleteFrom('uploads').where('id', '=', id);
  if (olderThan !== undefined) query = query.where('updated_at', '<', olderThan);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function touchUpload(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('uploads').set({ updated_at: now }).where('id', '=', id).execute();
}

export function abandonedUploads(db: Db, olderThan: number, limit: number): Promise<UploadRow[]> {
  return db.selectFrom('uploads').selectAll().where('updated_at', '<', olderThan).orderBy('updated_at').limit(limit).execute();
}

export function allUploadIds(db: Db): Promise<{ id: string }[]> {
  return db.selectFrom('uploads').select('id').execute();
}

export function unreferencedBlobs(db: Db, olderThan: number, limit: number): Promise<BlobRow[]> {
  return db
    .selectFrom('account_blobs')
    .selectAll()
    .where('refcount', '<=', 0)
    .where('created_at', '<', olderThan)
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

/** Which of these storage keys some blob row still names (a shared pack object is kept while one does). */
export async function namedStorageKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  const named = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('account_blobs').select('storage_key').distinct().where('storage_key', 'in', keys.slice(i, i + 500)).execute();
    for (const row of rows) named.add(row.storage_key);
  }
  return named;
}

/** Deletes the blob row only if it is still unreferenced and still the same stored copy. */
export async function deleteUnreferencedBlob(db: Db, row: BlobRow): Promise<boolean> {
  const result = await db
    .deleteFrom('account_blobs')
    .where('account_id', '=', row.account_id)
    .where('sha256', '=', row.sha256)
    .where('storage_key', '=', row.storage_key)
    .where('refcount', '<=', 0)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
