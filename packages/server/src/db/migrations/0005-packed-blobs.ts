// Backup chunks stored together: a blob may be a byte range of an object it shares with the other chunks of its pack.
import type { Kysely } from 'kysely';

// Typed loosely on purpose, like 0001: a migration describes the past, not today's Database type.
export async function up(db: Kysely<unknown>): Promise<void> {
  // NULL: the object holds this blob alone (every row before this migration).
  await db.schema.alterTable('account_blobs').addColumn('storage_offset', 'bigint').execute();
  // "Does any row still name this object?" when a packed blob is freed.
  await db.schema.createIndex('account_blobs_storage_key').on('account_blobs').column('storage_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('account_blobs_storage_key').execute();
  await db.schema.alterTable('account_blobs').dropColumn('storage_offset').execute();
}
