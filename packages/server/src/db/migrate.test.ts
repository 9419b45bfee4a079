import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration } from 'kysely';
import { expect, it } from 'vitest';
import { migrateToLatest } from './migrate.js';
import * as initial from './migrations/0001-initial.js';
import * as deviceStatus from './migrations/0004-device-status.js';

it('a database that ran a later migration first still runs an earlier one that landed after it', async () => {
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  try {
    // A server deployed while 0004 was there and 0002 not yet.
    const early: Record<string, Migration> = { '0001-initial': initial, '0004-device-status': deviceStatus };
    const before = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(early) } }).migrateToLatest();
    expect(before.error).toBeUndefined();
    await migrateToLatest(db);
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like 'backup_%'`.execute(db);
    expect(tables.rows.map((r) => r.name).sort()).toEqual(['backup_blobs', 'backup_policies', 'backup_prunes', 'backup_snapshots']);
  } finally {
    await db.destroy();
  }
});
