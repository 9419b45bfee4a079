// The part of every scan that is the same: which files are unchanged, changed, new, and which mirror items vanished.
import type { MirrorItem, ScanOptions } from './adapter.js';
import type { WalkEntry } from './library-walk.js';
import { serviceRel } from './safe-path.js';

export interface ScanPlan {
  /** At their mirror path with the mirror's size and mtime: not read. */
  readonly unchanged: { entry: WalkEntry; item: MirrorItem }[];
  /** At their mirror path, size or mtime differ. */
  readonly changed: { entry: WalkEntry; item: MirrorItem }[];
  /** At no mirror path. */
  readonly fresh: WalkEntry[];
  /** Mirror items whose path is gone (candidates for a rename before they become deletes). */
  readonly vanished: MirrorItem[];
}

/** Whole-millisecond comparison: file systems keep finer mtimes than the mirror. */
export const statMatches = (item: MirrorItem, size: number, mtimeMs: number): boolean =>
  item.localSize === size && item.localMtimeMs !== null && Math.round(item.localMtimeMs) === Math.round(mtimeMs);

/** Mirror rows that have a file in `folder`, by service-relative path (several ids may share a path after a mix-up). */
export function mirrorByPath(folder: string, mirror: ReadonlyMap<string, MirrorItem>): Map<string, MirrorItem[]> {
  const byPath = new Map<string, MirrorItem[]>();
  for (const item of mirror.values()) {
    if (item.deleted) continue;
    const rel = serviceRel(folder, item.path);
    if (rel === null) continue;
    const list = byPath.get(rel);
    if (list) list.push(item);
    else byPath.set(rel, [item]);
  }
  return byPath;
}

/**
 * Sorts the walked entries against the mirror. `sameKind` (Drive) says whether a mirror item can be the entry at
 * its path (a folder replaced by a file is a delete plus a new item).
 */
export function planScan(
  folder: string,
  entries: readonly WalkEntry[],
  mirror: ReadonlyMap<string, MirrorItem>,
  options: ScanOptions = {},
  sameKind: (item: MirrorItem, entry: WalkEntry) => boolean = () => true,
): ScanPlan {
  const byPath = mirrorByPath(folder, mirror);
  const now = (options.now ?? Date.now)();
  const settling = (e: WalkEntry): boolean => options.settleMs !== undefined && options.settleMs > 0 && e.mtimeMs > now - options.settleMs;
  const present = new Set<string>();
  const plan: ScanPlan = { unchanged: [], changed: [], fresh: [], vanished: [] };
  for (const entry of entries) {
    present.add(entry.rel);
    const item = byPath.get(entry.rel)?.[0];
    if (item === undefined || !sameKind(item, entry)) {
      if (item !== undefined) plan.vanished.push(...(byPath.get(entry.rel) ?? []));
      if (!settling(entry)) plan.fresh.push(entry);
    } else if (statMatches(item, entry.size, entry.mtimeMs) || entry.kind === 'folder') {
      plan.unchanged.push({ entry, item });
    } else if (!settling(entry)) {
      plan.changed.push({ entry, item });
    }
  }
  for (const [rel, items] of byPath) {
    if (!present.has(rel)) plan.vanished.push(...items);
  }
  return plan;
}

/** Deletes children first, so a folder's tombstone never reaches another device before its contents'. */
export const deepestFirst = <T extends { path: string }>(list: T[]): T[] =>
  list.sort((a, b) => b.path.split('/').length - a.path.split('/').length);
