// What notes and contacts share: one small text file per record, three-way merged with the mirror's copy as base.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { LIMITS, type NimbusRecord, type Service, type Zone } from '@nimbus/protocol';
import { conflictCopyName, splitExtension } from '../merge/conflict-name.js';
import { ItemError, keepsName, type ApplyOptions, type ApplyResult, type LibraryFs, type LocalChange, type MirrorItem, type ScanOptions, type ServiceAdapter } from './adapter.js';
import { writeFileAtomic } from './atomic-write.js';
import { hashText } from './file-hash.js';
import { asItemErrors } from './item-errors.js';
import { walkFolder, type WalkEntry } from './library-walk.js';
import { assertRealInside, libraryPath, resolveInside, serviceRel } from './safe-path.js';
import { deepestFirst, planScan } from './scan-plan.js';

type Put = LocalChange & { kind: 'put' };

/** How one text service reads and writes its records. */
export interface TextFormat {
  readonly service: Service;
  readonly zone: Zone;
  readonly folder: string;
  readonly recursive: boolean;
  readonly accepts: (name: string) => boolean;
  /** Record data for a file's text; throws ItemError when the file cannot be a record. */
  dataOf(rel: string, text: string): Record<string, unknown>;
  /** The (checked) service-relative path and text of a server record; throws ItemError when unusable. */
  read(data: Record<string, unknown> | null, where: string): { rel: string; text: string };
  /** Three-way merge; throws when a side cannot be parsed. */
  merge(base: string | null, ours: string, theirs: string): string;
  /** An id the file itself asks for (a vCard UID), if any. */
  preferredId?(text: string): string | null;
}

export const dataBytes = (data: Record<string, unknown>): number => Buffer.byteLength(JSON.stringify(data));

export function checkRecordSize(where: string, data: Record<string, unknown>): Record<string, unknown> {
  if (dataBytes(data) > LIMITS.recordMaxBytes) throw new ItemError(where, `too big to sync (over ${LIMITS.recordMaxBytes / 1024 / 1024} MiB)`);
  return data;
}

/** A numbered free name next to `rel` (`todo 2.md`), for an incoming item whose name an unrelated file holds. */
export async function freeName(folderAbs: string, rel: string, held?: (abs: string) => boolean): Promise<string> {
  const slash = rel.lastIndexOf('/');
  const dir = rel.slice(0, slash + 1);
  const { stem, ext } = splitExtension(rel.slice(slash + 1));
  for (let n = 2; ; n++) {
    const candidate = `${dir}${stem} ${n}${ext}`;
    const abs = resolveInside(folderAbs, candidate);
    if (!held?.(abs) && !(await exists(abs))) return candidate;
  }
}

export const exists = (abs: string): Promise<boolean> => stat(abs).then(() => true, () => false);
/**
 * A note or a card, read with synchronous calls: these files are at most a record's size, and through fs/promises
 * each one cost four trips through the thread pool with the event loop idle in between (a first upload of 2,000
 * cards spent half its time waiting on them). A missing file is the common case while pulling new items: one
 * stat, not a failed open.
 */
const readText = (abs: string): string | null => {
  if (statSync(abs, { throwIfNoEntry: false }) === undefined) return null;
  try {
    return readFileSync(abs, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

/** Reads a file that must fit in one record; a bigger one is an item error, never read. */
function readSmallText(folder: string, entry: WalkEntry): string | null {
  if (entry.size > LIMITS.recordMaxBytes) throw new ItemError(libraryPath(folder, entry.rel), `too big to sync (over ${LIMITS.recordMaxBytes / 1024 / 1024} MiB)`);
  return readText(entry.abs);
}

export class TextFileAdapter implements ServiceAdapter {
  readonly service: Service;
  readonly zone: Zone;
  readonly folder: string;

  constructor(
    private readonly format: TextFormat,
    private readonly deviceName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.service = format.service;
    this.zone = format.zone;
    this.folder = format.folder;
  }

  private put(id: string, rel: string, text: string, size: number, mtimeMs: number): Put {
    const path = libraryPath(this.folder, rel);
    const data = checkRecordSize(path, this.format.dataOf(rel, text));
    return { kind: 'put', zone: this.zone, id, path, data, blobs: [], localSize: size, localMtimeMs: mtimeMs, localHash: hashText(text) };
  }

  /** The put for a file's text (read by the caller, or here when `text` is not given). */
  private describe(id: string | null, entry: WalkEntry, used: Set<string>, text = readSmallText(this.folder, entry)): Put | null {
    if (text === null) return null;
    let chosen = id;
    if (chosen === null) {
      const wanted = this.format.preferredId?.(text) ?? null;
      chosen = wanted !== null && !used.has(wanted) ? wanted : randomUUID();
    }
    used.add(chosen);
    return this.put(chosen, entry.rel, text, entry.size, entry.mtimeMs);
  }

  async scan(mirror: ReadonlyMap<string, MirrorItem>, fs: LibraryFs, options: ScanOptions = {}): Promise<LocalChange[]> {
    const folderAbs = resolveInside(fs.root, this.folder);
    const entries = await walkFolder(folderAbs, { recursive: this.format.recursive, fileFilter: this.format.accepts });
    if (entries === null) return [];
    const plan = planScan(this.folder, entries, mirror, options);
    // Ids taken by files still on disk; a vanished item's id is free for its renamed file.
    const vanishedIds = new Set(plan.vanished.map((v) => v.id));
    const used = new Set([...mirror.values()].filter((m) => m.path !== null && !m.deleted && !vanishedIds.has(m.id)).map((m) => m.id));
    const out: LocalChange[] = [];
    const guard = (rel: string, work: () => void): void => {
      try {
        work();
      } catch (error) {
        if (!(error instanceof ItemError)) throw error;
        options.onItemError?.(error.path === rel ? new ItemError(libraryPath(this.folder, rel), error.reason) : error);
      }
    };
    for (const { entry, item } of plan.changed) {
      guard(entry.rel, () => {
        const change = this.describe(item.id, entry, used);
        if (change && change.localHash !== item.localHash) out.push(change);
      });
    }
    const byHash = new Map(plan.vanished.filter((v) => v.localHash !== null).map((v) => [v.localHash as string, v]));
    const byId = new Map(plan.vanished.map((v) => [v.id, v]));
    for (const entry of plan.fresh) {
      guard(entry.rel, () => {
        const text = readSmallText(this.folder, entry);
        if (text === null) return;
        const wanted = this.format.preferredId?.(text) ?? null;
        const renamed = (wanted !== null ? byId.get(wanted) : undefined) ?? byHash.get(hashText(text));
        if (renamed) {
          byId.delete(renamed.id);
          if (renamed.localHash !== null) byHash.delete(renamed.localHash);
        }
        pushIf(out, this.describe(renamed?.id ?? null, entry, used, text));
      });
    }
    const deletes = [...byId.values()].map((v): LocalChange & { kind: 'delete' } => ({ kind: 'delete', zone: this.zone, id: v.id, path: v.path as string }));
    return [...out, ...deepestFirst(deletes)];
  }

  apply(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, _blobFile?: unknown, options: ApplyOptions = {}): Promise<ApplyResult> {
    return asItemErrors(mirror?.path ?? `${this.folder}/${record.id}`, () => this.applyRecord(record, mirror, fs, options));
  }

  private async applyRecord(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, options: ApplyOptions): Promise<ApplyResult> {
    const batch = options.batch;
    const folderAbs = resolveInside(fs.root, this.folder);
    const localRel = serviceRel(this.folder, mirror?.path ?? null);
    const localAbs = localRel === null ? null : resolveInside(folderAbs, localRel);
    const local = localAbs === null ? null : readText(localAbs);
    if (record.deleted) return this.applyDelete(record, mirror, localRel, localAbs, local);
    const { rel: theirsRel, text: theirs } = this.format.read(record.data, `${this.folder}/${record.id}`);
    const base = mirror?.data ? this.safeBase(mirror.data) : null;
    const baseText = base?.text ?? null;
    // A local rename not yet sent, against a remote edit that kept the name: the local name stays.
    const rel = local !== null && localRel !== null && base !== null && localRel !== base.rel && theirsRel === base.rel ? localRel : theirsRel;
    let content = theirs;
    // Edited here = differs from the base (the last synced data), not from the mirror's local stat: the engine
    // records a scanned change's stat at once, while the edit may still wait in the outbox.
    const localEdited = local !== null && local !== baseText && local !== theirs;
    if (localEdited) content = await this.mergeOrKeep(baseText, local, theirs, folderAbs, localRel as string);
    let finalRel = rel;
    const targetAbs = resolveInside(folderAbs, rel);
    const held = (abs: string): boolean => batch?.holds(abs) ?? false;
    if (batch !== undefined && localAbs === null && !held(targetAbs)) {
      // New here (the common case of a pull): the page's batch creates the file, and if the name is taken by then,
      // the engine applies the record again without the batch (the occupant checks below).
      await assertRealInside(folderAbs, targetAbs, batch.checkedDirs);
      const size = batch.create(targetAbs, content);
      const path = libraryPath(this.folder, rel);
      return { path, localSize: size, localMtimeMs: 0, localHash: hashText(content), followUps: [], staged: true, created: targetAbs };
    }
    const followUps: LocalChange[] = [];
    if (rel !== localRel) {
      const occupant = held(targetAbs) ? undefined : readText(targetAbs);
      if (occupant === undefined) finalRel = await freeName(folderAbs, rel, held);
      else if (occupant !== null && occupant !== content) {
        const owner = options.pathOwner?.(libraryPath(this.folder, rel));
        if (owner === undefined && options.adopt) {
          // The zone's first pull, and a copy this library already had: it becomes this record, its differences
          // merged in and sent up — no duplicate, nothing lost.
          content = await this.adopt(occupant, content, folderAbs, rel);
        } else if (owner === undefined) {
          finalRel = await freeName(folderAbs, rel, held); // a file new here: both stay
        } else if (keepsName(owner, record.id)) {
          finalRel = await freeName(folderAbs, rel, held);
        } else {
          // Two records claim the name and this one keeps it (every device decides alike): the other moves aside.
          const movedRel = await freeName(folderAbs, rel, held);
          const written = await writeFileAtomic(resolveInside(folderAbs, movedRel), occupant);
          followUps.push(this.put(owner, movedRel, occupant, written.size, written.mtimeMs));
        }
      }
    }
    const finalAbs = resolveInside(folderAbs, finalRel);
    await assertRealInside(folderAbs, finalAbs, batch?.checkedDirs);
    const removesOld = localAbs !== null && localRel !== finalRel && local !== null;
    // A plain write (no merge, no other name, nothing to remove) can wait for the page's batch.
    const plain = batch !== undefined && !removesOld && content === theirs && finalRel === theirsRel && !batch.holds(finalAbs);
    const written = plain ? await batch.write(finalAbs, content) : await writeFileAtomic(finalAbs, content);
    if (removesOld) await rm(localAbs, { force: true });
    if (content !== theirs || finalRel !== theirsRel) followUps.push(this.put(record.id, finalRel, content, written.size, written.mtimeMs));
    return { path: libraryPath(this.folder, finalRel), localSize: written.size, localMtimeMs: written.mtimeMs, localHash: hashText(content), followUps, ...(plain ? { staged: true } : {}) };
  }

  /**
   * The text for a record arriving where this device has its own copy: when one side only adds lines to the
   * other, the fuller one; otherwise both, merged with no common base (overlaps keep both texts with markers).
   */
  private async adopt(local: string, theirs: string, folderAbs: string, rel: string): Promise<string> {
    if (linesWithin(theirs, local)) return local;
    if (linesWithin(local, theirs)) return theirs;
    return this.mergeOrKeep(null, local, theirs, folderAbs, rel);
  }

  private safeText(data: Record<string, unknown>): string | null {
    return this.safeBase(data)?.text ?? null;
  }

  private safeBase(data: Record<string, unknown>): { rel: string; text: string } | null {
    try {
      return this.format.read(data, '');
    } catch {
      return null;
    }
  }

  /** Merges; when our side cannot be parsed, it is kept beside as a conflict copy and theirs wins. */
  private async mergeOrKeep(base: string | null, ours: string, theirs: string, folderAbs: string, localRel: string): Promise<string> {
    try {
      return this.format.merge(base, ours, theirs);
    } catch (error) {
      if (error instanceof ItemError) {
        const slash = localRel.lastIndexOf('/');
        const dir = localRel.slice(0, slash + 1);
        const name = conflictCopyName(localRel.slice(slash + 1), this.deviceName, this.now(), {
          isTaken: (n) => existsSync(resolveInside(folderAbs, `${dir}${n}`)),
        });
        await writeFileAtomic(resolveInside(folderAbs, `${dir}${name}`), ours, { noReplace: true }).catch(() => undefined);
        return theirs;
      }
      throw error;
    }
  }

  private async applyDelete(record: NimbusRecord, mirror: MirrorItem | undefined, localRel: string | null, localAbs: string | null, local: string | null): Promise<ApplyResult> {
    const gone: ApplyResult = { path: null, localSize: null, localMtimeMs: null, localHash: null, followUps: [] };
    if (local === null || localRel === null || localAbs === null || mirror === undefined) return gone;
    const localHash = hashText(local);
    const baseText = mirror.data ? this.safeText(mirror.data) : null;
    if (local === baseText) {
      await rm(localAbs, { force: true });
      return gone;
    }
    // Edited here since the last sync: the edit outlives the remote delete and goes up again.
    const s = await stat(localAbs);
    const change = this.put(record.id, localRel, local, s.size, Math.round(s.mtimeMs));
    return { path: change.path, localSize: change.localSize, localMtimeMs: change.localMtimeMs, localHash, followUps: [change] };
  }

  async resolveConflict(ours: Put, theirs: NimbusRecord, base: MirrorItem | undefined, fs: LibraryFs): Promise<{ write: LocalChange | null; followUps: LocalChange[] }> {
    if (theirs.deleted || theirs.data === null) return { write: ours, followUps: [] };
    const folderAbs = resolveInside(fs.root, this.folder);
    const oursRel = serviceRel(this.folder, ours.path);
    if (oursRel === null) throw new ItemError(ours.path, 'not in its service folder');
    const oursAbs = resolveInside(folderAbs, oursRel);
    const onDisk = readText(oursAbs);
    const current = onDisk ?? this.format.read(ours.data, ours.path).text;
    const { text: theirsText, rel: theirsRel } = this.format.read(theirs.data, `${this.folder}/${theirs.id}`);
    const baseText = base?.data ? this.safeText(base.data) : null;
    const merged = await this.mergeOrKeep(baseText, current, theirsText, folderAbs, oursRel);
    if (merged === theirsText && oursRel === theirsRel) return { write: null, followUps: [] };
    const written = merged === onDisk
      ? await stat(oursAbs).then((s) => ({ size: s.size, mtimeMs: Math.round(s.mtimeMs) }))
      : await writeFileAtomic(oursAbs, merged);
    return { write: this.put(ours.id, oursRel, merged, written.size, written.mtimeMs), followUps: [] };
  }
}

function pushIf(out: LocalChange[], change: LocalChange | null): void {
  if (change) out.push(change);
}

/** True when every line of `small` appears in `big`, in order (`big` is `small` with lines added). */
function linesWithin(small: string, big: string): boolean {
  const want = small.split('\n');
  let i = 0;
  for (const line of big.split('\n')) if (i < want.length && line === want[i]) i++;
  return i === want.length;
}
