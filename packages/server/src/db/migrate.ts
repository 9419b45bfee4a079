// Runs the migrations on start; one set for SQLite and PostgreSQL.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as backups from './migrations/0002-backups.js';
import * as deviceStatus from './migrations/0004-device-status.js';
import * as packedBlobs from './migrations/0005-packed-blobs.js';

/** Migrations live in code (not a folder scan) so the built server needs no file lookups. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-backups': backups,
  '0004-device-status': deviceStatus,
  '0005-packed-blobs': packedBlobs,
};

class InCodeMigrations implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  // Numbers are handed out to work in progress and may land out of order (0004 before 0002): each migration only
  // adds its own tables, so a database that ran 0004 may still run 0002 after it.
  const migrator = new Migrator({ db, provider: new InCodeMigrations(), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const reason = error instanceof Error ? error.message : `migration ${failed?.migrationName ?? '(unknown)'} failed`;
    throw new Error(`database migration failed: ${reason}`);
  }
}
