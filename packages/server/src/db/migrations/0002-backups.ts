// Device backups: committed snapshots, the chunks each refers to, the retention policy, what was pruned.
import type { Kysely } from 'kysely';

// Typed loosely on purpose, like 0001: a migration describes the past, not today's Database type.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backup_snapshots')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('sources', 'text', (c) => c.notNull())
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('file_count', 'bigint', (c) => c.notNull())
    .addColumn('total_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_snapshots_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('backup_snapshots_created').on('backup_snapshots').columns(['account_id', 'created_at']).execute();

  // One row per distinct blob (chunk or manifest piece) of a snapshot; each holds one reference on account_blobs.
  await db.schema
    .createTable('backup_blobs')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_blobs_pk', ['account_id', 'snapshot_id', 'sha256'])
    .execute();

  await db.schema
    .createTable('backup_policies')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('keep_last', 'integer')
    .addColumn('keep_daily', 'integer')
    .addColumn('keep_weekly', 'integer')
    .addColumn('keep_monthly', 'integer')
    .addColumn('prune_when_full', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('backup_prunes')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('removed_at', 'bigint', (c) => c.notNull())
    .addColumn('freed_bytes', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('backup_prunes_account').on('backup_prunes').columns(['account_id', 'removed_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['backup_prunes', 'backup_policies', 'backup_blobs', 'backup_snapshots']) {
    await db.schema.dropTable(table).execute();
  }
}
