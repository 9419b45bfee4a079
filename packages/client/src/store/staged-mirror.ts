// The journal of a feed page's placement: files put in place before their mirror rows commit.
import { readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';
import { hashText } from '../adapters/file-hash.js';
import type { LocalStore } from './local-store.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS mirror_staged (zone TEXT NOT NULL, id TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (zone, id));
CREATE TABLE IF NOT EXISTS created_staged (batch INTEGER PRIMARY KEY AUTOINCREMENT, files TEXT NOT NULL)`;

/** A new file a page is about to write straight under its name: library-relative path, size and SHA-256 it will have. */
export type NewFile = readonly [path: string, size: number, sha256: string];

const unsafe = (path: string | null): path is null => path === null || isAbsolute(path) || path.split('/').includes('..');

/**
 * A page's files appear under their names before their mirror rows commit, in two ways, both journaled (durably) first:
 * - replaced files are renamed into place from complete temp files: after a crash, `recover()` mirrors each one that
 *   is in place with the staged size and mtime, so the next scan does not take it for a local edit;
 * - new files are written straight under their names (one journal row per page: path, size, hash): after a crash,
 *   `recover()` removes each one that is whole or shorter (ours, half written), so the scan does not upload it as a
 *   new file. Their page's token was not saved: the next pull writes them again.
 */
export class StagedMirror {
  constructor(private readonly store: LocalStore) {
    store.db.exec(SCHEMA);
  }

  /** Journals the rows with an fsync: call before the renames. */
  journal(rows: readonly MirrorItem[]): void {
    this.store.durableTx(() => this.journalRows(rows));
  }

  /** Journals replaced files' rows (call inside a durable transaction, before the renames). */
  journalRows(rows: readonly MirrorItem[]): void {
    const insert = this.store.stmt('INSERT INTO mirror_staged (zone, id, row) VALUES (?, ?, ?) ON CONFLICT (zone, id) DO UPDATE SET row = excluded.row');
    for (const row of rows) insert.run(row.zone, row.id, JSON.stringify(row));
  }

  /** Journals new files in one row (call inside a durable transaction, before writing them); returns its key. */
  journalNew(files: readonly NewFile[]): number {
    return Number(this.store.stmt('INSERT INTO created_staged (files) VALUES (?)').run(JSON.stringify(files)).lastInsertRowid);
  }

  /** The rows are placed: into the mirror, out of the journal (call inside the page's transaction). */
  settle(rows: readonly MirrorItem[], replaced: readonly MirrorItem[] = rows, newBatch?: number): void {
    const remove = this.store.stmt('DELETE FROM mirror_staged WHERE zone = ? AND id = ?');
    for (const row of rows) this.store.putMirror(row);
    for (const row of replaced) remove.run(row.zone, row.id);
    if (newBatch !== undefined) this.forgetNew(newBatch);
  }

  /** Drops a journal row of new files (they are mirrored, or were removed). */
  forgetNew(batch: number): void {
    this.store.stmt('DELETE FROM created_staged WHERE batch = ?').run(batch);
  }

  /** After a crash: replaced files in place become mirror rows (unless the mirror moved on); new files in place are removed. */
  async recover(libraryRoot: string): Promise<number> {
    const abs = (path: string): string => join(libraryRoot, ...path.split('/'));
    const left = this.store.stmt('SELECT row FROM mirror_staged').all() as { row: string }[];
    const created = this.store.stmt('SELECT batch, files FROM created_staged').all() as { batch: number; files: string }[];
    if (left.length === 0 && created.length === 0) return 0;
    const placed: MirrorItem[] = [];
    for (const { row } of left) {
      const item = JSON.parse(row) as MirrorItem;
      if (unsafe(item.path)) continue;
      const s = await stat(abs(item.path)).catch(() => null);
      if (s?.isFile() && s.size === item.localSize && Math.round(s.mtimeMs) === item.localMtimeMs) placed.push(item);
    }
    for (const { files } of created) {
      for (const [path, size, sha256] of JSON.parse(files) as NewFile[]) {
        if (unsafe(path)) continue;
        const s = await stat(abs(path)).catch(() => null);
        if (!s?.isFile() || s.size > size) continue; // gone, or not what we wrote
        if (s.size === size && hashText(await readFile(abs(path))) !== sha256) continue; // edited since
        await rm(abs(path), { force: true });
      }
    }
    this.store.durableTx(() => {
      for (const item of placed) {
        const now = this.store.getMirror(item.zone, item.id);
        if (!now || now.version < item.version) this.store.putMirror(item);
      }
      this.store.stmt('DELETE FROM mirror_staged').run();
      this.store.stmt('DELETE FROM created_staged').run();
    });
    return placed.length;
  }
}
