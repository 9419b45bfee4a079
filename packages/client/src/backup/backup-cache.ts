// What the last backups found in each file ($NIMBUS_HOME/backup-cache.sqlite): an unchanged file is not read again.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const backupCachePath = (home: string): string => join(home, 'backup-cache.sqlite');

/** The stat fields that say a file is unchanged (restic's choice too: size, mtime, ctime, inode). */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/**
 * path → stamp and chunk hashes. A hit is only a hint: the commit checks every chunk is on the server, and
 * a file whose chunks are gone is read again (see createBackup).
 */
export class BackupCache {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { size: number; mtime_ms: number; ctime_ms: number; ino: number; chunks: string }>;
  readonly #put: Database.Statement<[string, number, number, number, number, string]>;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    // A lost cache costs a re-read, never a wrong backup: no fsync per write.
    this.#db.pragma('synchronous = OFF');
    this.#db.exec('CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, ctime_ms REAL NOT NULL, ino INTEGER NOT NULL, chunks TEXT NOT NULL)');
    this.#get = this.#db.prepare('SELECT size, mtime_ms, ctime_ms, ino, chunks FROM files WHERE path = ?');
    this.#put = this.#db.prepare(
      'INSERT INTO files (path, size, mtime_ms, ctime_ms, ino, chunks) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, ctime_ms = excluded.ctime_ms, ino = excluded.ino, chunks = excluded.chunks',
    );
  }

  /** The chunks of `path` when its stamp is what it was when they were found. */
  lookup(path: string, stamp: FileStamp): string[] | undefined {
    const row = this.#get.get(path);
    if (!row || row.size !== stamp.size || row.mtime_ms !== stamp.mtimeMs || row.ctime_ms !== stamp.ctimeMs || row.ino !== stamp.ino) return undefined;
    return splitHashes(row.chunks);
  }

  remember(path: string, stamp: FileStamp, chunks: readonly string[]): void {
    this.#put.run(path, stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, chunks.join(''));
  }

  close(): void {
    this.#db.close();
  }
}

function splitHashes(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 64) out.push(text.slice(i, i + 64));
  return out;
}
