// The metadata store port: one Kysely query layer over SQLite (embedded default) or PostgreSQL.
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { GroupCommitter, type WriteJob } from './group-commit.js';

/**
 * Where accounts, sessions, records and blob references live.
 *
 * Contract: every service writes through `db.transaction()`. A transaction is atomic and,
 * once it resolves, survives a process crash (SQLite WAL with synchronous=NORMAL survives
 * `kill -9`; set NIMBUS_SQLITE_SYNCHRONOUS=FULL to survive power loss too). On SQLite all
 * transactions are serialized; on PostgreSQL (read committed) services serialize per account
 * by updating the account row first (see quota/charge.ts), so the quota check and the change
 * sequence are atomic with the write on both.
 */
export interface MetadataStore {
  readonly db: Kysely<Database>;
  /**
   * For reads that need no transaction (the auth check, feed pages). On SQLite a second,
   * read-only connection, so reads never queue behind the writer's transaction (WAL lets them
   * run beside it) and writers can group their commits; it sees everything committed. On
   * PostgreSQL the same pool as `db`.
   */
  readonly reader: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs a write transaction for the hot write paths. Same contract as `db.transaction()`: the
   * job is atomic, and once the promise resolves it is committed. On SQLite concurrent jobs share
   * one COMMIT (group-commit.ts); a job that throws is rolled back alone.
   */
  write<T>(job: WriteJob<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `postgres://…` or `postgresql://…` for PostgreSQL; otherwise a SQLite file path (or `:memory:`). */
  location: string;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Opens the store and brings its schema up to date. */
export async function openMetadataStore(options: OpenOptions): Promise<MetadataStore> {
  const store = isPostgresUrl(options.location) ? openPostgres(options) : openSqlite(options.location);
  try {
    await migrateToLatest(store.db as Kysely<unknown>);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openSqlite(path: string): MetadataStore {
  const database = new Sqlite(path);
  database.pragma('journal_mode = WAL');
  const synchronous = process.env['NIMBUS_SQLITE_SYNCHRONOUS'] === 'FULL' ? 'FULL' : 'NORMAL';
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  const committer = new GroupCommitter(db);
  // In-memory databases are private to their connection: the reader must be the writer there.
  const reader =
    path === ':memory:'
      ? db
      : new Kysely<Database>({
          dialect: new SqliteDialect({
            // Opened on first use, once the writer has created the file and its WAL.
            database: () => {
              const connection = new Sqlite(path, { readonly: true });
              connection.pragma('busy_timeout = 5000');
              return Promise.resolve(withStatementCache(connection));
            },
          }),
        });
  return {
    db,
    reader,
    dialect: 'sqlite',
    write: (job) => committer.run(job),
    close: async () => {
      if (reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and preparing was an
 * eighth of a small write's CPU. Our SQL texts are few (parameters are bound, never inlined), so
 * a bounded map keyed by the text is enough. Safe: Kysely uses the one connection serially.
 */
function withStatementCache(database: Sqlite.Database): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= 1000) cache.clear();
        statement = database.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/** int8 columns (and count(*)) come back as strings from pg; ours all fit in a double. */
const NUMBER_OIDS: ReadonlySet<number> = new Set([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const numericTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_OIDS.has(oid) ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

function openPostgres(options: OpenOptions): MetadataStore {
  const pool = new pg.Pool({ connectionString: options.location, max: options.poolSize ?? 20, types: numericTypes });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, reader: db, dialect: 'postgres', write: (job) => db.transaction().execute(job), close: () => db.destroy() };
}
