// Lists a service folder (files and folders, with size and mtime) without reading file contents.
import { lstatSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { TEMP_PREFIX } from './atomic-write.js';

export interface WalkEntry {
  /** Relative to the service folder, `/`-separated. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: 'file' | 'folder';
  readonly size: number;
  /** Whole milliseconds. */
  readonly mtimeMs: number;
}

/** Names that are never synced: our temp files, OS litter, Office lock files, editors' swap files. */
export function isIgnoredName(name: string): boolean {
  return (
    name.startsWith(TEMP_PREFIX) ||
    name === '.DS_Store' ||
    name === 'Thumbs.db' ||
    name === 'desktop.ini' ||
    name.startsWith('~$') ||
    name.startsWith('.~lock.') ||
    (name.startsWith('.') && /\.sw[po]$/.test(name))
  );
}

export interface WalkOptions {
  /** Go into sub-folders (default true). */
  readonly recursive?: boolean;
  /** Return folders as entries too (default false). */
  readonly folders?: boolean;
  /** Keep only files whose name passes (folders are always walked). */
  readonly fileFilter?: (name: string) => boolean;
}

/**
 * Entries stat'ed between yields to the event loop. The stats are synchronous: a no-change sync is mostly this
 * walk, and lstatSync is ~3× faster than promise lstat through the thread pool (measured: 2,000 files in 15 ms
 * vs 47 ms); yielding every so often keeps an agent responsive on a library of 100,000 files.
 */
const STATS_PER_YIELD = 2000;

/**
 * Entries under `folder`, or null when `folder` is missing or not a folder (the caller then reports nothing:
 * a missing library folder must never look like "everything was deleted"). Symlinks are not followed.
 * An entry that vanishes while walking is simply left out.
 */
export async function walkFolder(folder: string, options: WalkOptions = {}): Promise<WalkEntry[] | null> {
  const top = statOrNull(folder);
  if (!top?.isDirectory()) return null;
  const out: WalkEntry[] = [];
  const recursive = options.recursive ?? true;
  let sinceYield = 0;
  const walk = async (abs: string, rel: string): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      if (rel !== '' && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const wanted = dirents.filter((d) => !isIgnoredName(d.name) && (d.isDirectory() || (d.isFile() && (options.fileFilter?.(d.name) ?? true))));
    const subdirs: [string, string][] = [];
    for (const d of wanted) {
      if (++sinceYield >= STATS_PER_YIELD) {
        sinceYield = 0;
        await yieldToLoop();
      }
      const childAbs = join(abs, d.name);
      const s = statOrNull(childAbs);
      if (!s) continue;
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      if (s.isDirectory()) {
        if (options.folders) out.push({ rel: childRel, abs: childAbs, kind: 'folder', size: 0, mtimeMs: Math.round(s.mtimeMs) });
        if (recursive) subdirs.push([childAbs, childRel]);
      } else if (s.isFile()) {
        out.push({ rel: childRel, abs: childAbs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) });
      }
    }
    for (const [childAbs, childRel] of subdirs) await walk(childAbs, childRel);
  };
  await walk(folder, '');
  return out;
}

/** lstat, or null when the entry vanished or cannot be read (it is then simply left out). */
function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
