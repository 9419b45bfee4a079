// The journal of a feed page's placement: mirror rows of files renamed into place but not yet mirrored.
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';
import type { LocalStore } from './local-store.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS mirror_staged (zone TEXT NOT NULL, id TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (zone, id))`;

/**
 * A page's files appear under their names in one burst of renames, before their mirror rows commit. The rows
 * are journaled (durably) first: after a crash in between, `recover()` mirrors each file that is in place with
 * the staged size and mtime, so the next scan does not take it for a new local file (a duplicate upload).
 */
export class StagedMirror {
  constructor(private readonly store: LocalStore) {
    store.db.exec(SCHEMA);
  }

  /** Journals the rows with an fsync: call before the renames. */
  journal(rows: readonly MirrorItem[]): void {
    const insert = this.store.stmt('INSERT INTO mirror_staged (zone, id, row) VALUES (?, ?, ?) ON CONFLICT (zone, id) DO UPDATE SET row = excluded.row');
    this.store.durableTx(() => rows.forEach((row) => insert.run(row.zone, row.id, JSON.stringify(row))));
  }

  /** The rows are placed: into the mirror, out of the journal (call inside the page's transaction). */
  settle(rows: readonly MirrorItem[]): void {
    const remove = this.store.stmt('DELETE FROM mirror_staged WHERE zone = ? AND id = ?');
    for (const row of rows) {
      this.store.putMirror(row);
      remove.run(row.zone, row.id);
    }
  }

  /** After a crash: rows whose file is in place become mirror rows (unless the mirror moved on); the rest are dropped. */
  async recover(libraryRoot: string): Promise<number> {
    const left = this.store.stmt('SELECT row FROM mirror_staged').all() as { row: string }[];
    if (left.length === 0) return 0;
    const placed: MirrorItem[] = [];
    for (const { row } of left) {
      const item = JSON.parse(row) as MirrorItem;
      if (item.path === null || isAbsolute(item.path) || item.path.split('/').includes('..')) continue;
      const s = await stat(join(libraryRoot, ...item.path.split('/'))).catch(() => null);
      if (s?.isFile() && s.size === item.localSize && Math.round(s.mtimeMs) === item.localMtimeMs) placed.push(item);
    }
    this.store.durableTx(() => {
      for (const item of placed) {
        const now = this.store.getMirror(item.zone, item.id);
        if (!now || now.version < item.version) this.store.putMirror(item);
      }
      this.store.stmt('DELETE FROM mirror_staged').run();
    });
    return placed.length;
  }
}
