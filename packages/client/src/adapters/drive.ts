// Drive: `Drive/**` files and folders; moves keep the id, and when both sides changed a file the local one is kept as a conflict copy.
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat, utimes } from 'node:fs/promises';
import { sha256Schema, type NimbusRecord } from '@nimbus/protocol';
import { conflictCopyName } from '../merge/conflict-name.js';
import { ItemError, keepsName, type ApplyOptions, type ApplyResult, type LibraryFs, type LocalChange, type MirrorItem, type ScanOptions, type ServiceAdapter } from './adapter.js';
import { copyFileAtomic } from './atomic-write.js';
import { hashFile, hashFiles } from './file-hash.js';
import { asItemErrors } from './item-errors.js';
import { walkFolder, type WalkEntry } from './library-walk.js';
import { assertRealInside, checkedRelPath, libraryPath, resolveInside, serviceRel } from './safe-path.js';
import { deepestFirst, planScan, statMatches } from './scan-plan.js';
import { exists, freeName } from './text-adapter.js';

type Put = LocalChange & { kind: 'put' };
type Delete = LocalChange & { kind: 'delete' };
const FOLDER = 'Drive';
const GONE: ApplyResult = { path: null, localSize: null, localMtimeMs: null, localHash: null, followUps: [] };

interface DriveData {
  path: string;
  kind: 'file' | 'folder';
  size: number;
  mtimeMs: number;
  sha256: string | null;
}

/** The checked data of a server record; throws ItemError for anything hostile or malformed. */
function driveData(record: NimbusRecord): DriveData {
  const where = `${FOLDER}/${record.id}`;
  const d = record.data ?? {};
  const path = checkedRelPath(d.path, where);
  if (d.kind === 'folder') return { path, kind: 'folder', size: 0, mtimeMs: 0, sha256: null };
  if (d.kind !== 'file') throw new ItemError(where, 'unknown Drive item kind');
  const sha = sha256Schema.safeParse(d.sha256);
  if (!sha.success || !record.blobs.includes(sha.data)) throw new ItemError(where, 'the file has no valid content hash');
  const size = typeof d.size === 'number' && d.size >= 0 ? d.size : 0;
  const mtimeMs = typeof d.mtimeMs === 'number' && Number.isFinite(d.mtimeMs) && d.mtimeMs > 0 ? Math.round(d.mtimeMs) : Date.now();
  return { path, kind: 'file', size, mtimeMs, sha256: sha.data };
}

const parentOf = (rel: string): string => rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
const nameOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);
const depth = (rel: string): number => rel.split('/').length;

export class DriveAdapter implements ServiceAdapter {
  readonly service = 'drive' as const;
  readonly zone = 'drive' as const;
  readonly folder = FOLDER;

  constructor(
    private readonly deviceName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private filePut(id: string, entry: WalkEntry, sha256: string): Put {
    const data: DriveData = { path: entry.rel, kind: 'file', size: entry.size, mtimeMs: entry.mtimeMs, sha256 };
    return {
      kind: 'put', zone: this.zone, id, path: libraryPath(FOLDER, entry.rel), data: { ...data },
      blobs: [{ sha256, size: entry.size, file: entry.abs }], localSize: entry.size, localMtimeMs: entry.mtimeMs, localHash: sha256,
    };
  }

  private folderPut(id: string, entry: WalkEntry): Put {
    const data: DriveData = { path: entry.rel, kind: 'folder', size: 0, mtimeMs: 0, sha256: null };
    return { kind: 'put', zone: this.zone, id, path: libraryPath(FOLDER, entry.rel), data: { ...data }, blobs: [], localSize: 0, localMtimeMs: entry.mtimeMs, localHash: 'folder' };
  }

  async scan(mirror: ReadonlyMap<string, MirrorItem>, fs: LibraryFs, options: ScanOptions = {}): Promise<LocalChange[]> {
    const folderAbs = resolveInside(fs.root, FOLDER);
    const entries = await walkFolder(folderAbs, { folders: true });
    if (entries === null) return [];
    const plan = planScan(FOLDER, entries, mirror, options, (item, entry) => (item.data?.kind === 'folder') === (entry.kind === 'folder'));
    const puts: Put[] = [];
    for (const { entry, item } of plan.changed) {
      // Size or mtime changed: the mtime is part of the data, so even a touch is a (blob-free) update.
      puts.push(this.filePut(item.id, entry, (await hashFile(entry.abs)).sha256));
    }
    // Moves: a new file with the content and size of a vanished one keeps its id.
    const vanishedFiles = new Map<string, MirrorItem>();
    for (const v of plan.vanished) if (v.data?.kind !== 'folder' && v.localHash) vanishedFiles.set(`${v.localHash}:${v.localSize}`, v);
    const matched = new Set<string>();
    const moves = new Map<string, string>(); // old parent → new parent, seen through moved files
    const freshFolders: WalkEntry[] = [];
    // New files are hashed several at a time (thousands dropped in at once); the matching below keeps its order.
    const freshDigests = await hashFiles(plan.fresh.filter((entry) => entry.kind === 'file').map((entry) => entry.abs));
    for (const entry of plan.fresh) {
      if (entry.kind === 'folder') {
        freshFolders.push(entry);
        continue;
      }
      const { sha256 } = freshDigests.get(entry.abs) as { sha256: string }; // hashFiles hashed every one, or threw
      const moved = vanishedFiles.get(`${sha256}:${entry.size}`);
      if (moved) {
        vanishedFiles.delete(`${sha256}:${entry.size}`);
        matched.add(moved.id);
        const oldRel = serviceRel(FOLDER, moved.path) ?? '';
        if (nameOf(oldRel) === nameOf(entry.rel)) moves.set(parentOf(oldRel), parentOf(entry.rel));
      }
      puts.push(this.filePut(moved?.id ?? randomUUID(), entry, sha256));
    }
    // A folder rename: the vanished folder whose files turned up under the new one keeps its id.
    const vanishedFolders = new Map(plan.vanished.filter((v) => v.data?.kind === 'folder').map((v) => [serviceRel(FOLDER, v.path) ?? '', v]));
    for (const entry of freshFolders) {
      const from = [...moves].find(([, to]) => to === entry.rel)?.[0];
      const old = from === undefined ? undefined : vanishedFolders.get(from);
      if (old) {
        vanishedFolders.delete(from as string);
        matched.add(old.id);
      }
      puts.push(this.folderPut(old?.id ?? randomUUID(), entry));
    }
    const deletes: Delete[] = plan.vanished.filter((v) => !matched.has(v.id)).map((v) => ({ kind: 'delete', zone: this.zone, id: v.id, path: v.path as string }));
    // Parents before children, so a file never arrives before its folder; deletes children first.
    puts.sort((a, b) => depth(a.path) - depth(b.path));
    return [...puts, ...deepestFirst(deletes)];
  }

  async apply(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, blobFile: (sha256: string) => Promise<string>, options: ApplyOptions = {}): Promise<ApplyResult> {
    const folderAbs = resolveInside(fs.root, FOLDER);
    const localRel = serviceRel(FOLDER, mirror?.path ?? null);
    const localAbs = localRel === null ? null : resolveInside(folderAbs, localRel);
    if (record.deleted) return this.applyDelete(record, mirror, localRel, localAbs);
    const data = driveData(record);
    // A local move not yet sent, against a remote change that kept the path: the local path stays.
    const baseRel = typeof mirror?.data?.path === 'string' ? mirror.data.path : null;
    const wanted = localRel !== null && baseRel !== null && localRel !== baseRel && data.path === baseRel ? localRel : data.path;
    return asItemErrors(libraryPath(FOLDER, data.path), async () => {
      const targetAbs = resolveInside(folderAbs, wanted);
      await assertRealInside(folderAbs, targetAbs, options.batch?.checkedDirs);
      if (data.kind === 'folder') return this.applyFolder(wanted, targetAbs, localAbs);
      const sha = data.sha256 as string;
      const followUps: LocalChange[] = [];
      let local = localAbs !== null && (await isFile(localAbs)) ? localAbs : null;
      let localHash = local === null ? null : await hashOf(local, mirror);
      // Edited here = differs from the base (last synced data), whatever the mirror's local stat says (pending edits).
      const baseSha = typeof mirror?.data?.sha256 === 'string' ? mirror.data.sha256 : null;
      if (local !== null && localHash !== sha && localHash !== baseSha) {
        // Both sides changed the file: ours becomes `name (conflict from DEVICE date).ext`, theirs takes the name.
        followUps.push(await this.keepAsConflictCopy(folderAbs, localRel as string));
        local = null;
        localHash = null;
      }
      const finalRel = local === targetAbs ? wanted : await this.targetOrFree(record.id, folderAbs, wanted, sha, options, followUps);
      const finalAbs = resolveInside(folderAbs, finalRel);
      if (local !== null && localHash === sha) {
        // Same content (a move, a touch, or our own upload): no download.
        if (local !== finalAbs) {
          await mkdir(dirname(finalAbs), { recursive: true });
          await rename(local, finalAbs);
        }
        await utimes(finalAbs, new Date(), new Date(data.mtimeMs));
        return this.placed(record.id, finalAbs, finalRel, sha, data.path, followUps);
      }
      const there = finalAbs === local ? localHash : (await isFile(finalAbs)) ? (await hashFile(finalAbs)).sha256 : null;
      const batch = options.batch;
      if (there !== sha && batch !== undefined && local === null && followUps.length === 0 && finalRel === data.path && !batch.holds(finalAbs)) {
        // A plain new file: it waits for the page's batch (placed and synced with the others).
        const written = await batch.copy(await blobFile(sha), finalAbs, { mtimeMs: data.mtimeMs });
        return { path: libraryPath(FOLDER, finalRel), localSize: written.size, localMtimeMs: written.mtimeMs, localHash: sha, followUps: [], staged: true };
      }
      if (there !== sha) await copyFileAtomic(await blobFile(sha), finalAbs, { mtimeMs: data.mtimeMs });
      if (local !== null && local !== finalAbs) await rm(local, { force: true });
      return this.placed(record.id, finalAbs, finalRel, sha, data.path, followUps);
    });
  }

  /**
   * Where record `id` goes: the wanted name, unless another file (other content) holds it. A file no record owns
   * is new here (the incoming one takes a numbered free name) or, in the zone's first pull, this library's own
   * copy (kept beside as a conflict copy: which of the two is newer is unknown); a file of another
   * record keeps the name when its id sorts first (every device decides alike, so the names converge) and moves
   * to a numbered free name otherwise — the move goes up as a follow-up.
   */
  private async targetOrFree(id: string, folderAbs: string, rel: string, sha: string, options: ApplyOptions, followUps: LocalChange[]): Promise<string> {
    const abs = resolveInside(folderAbs, rel);
    const held = (file: string): boolean => options.batch?.holds(file) ?? false;
    if (held(abs)) return freeName(folderAbs, rel, held);
    if (!(await exists(abs))) return rel;
    if (!(await isFile(abs))) return freeName(folderAbs, rel, held);
    const occupant = (await hashFile(abs)).sha256;
    if (occupant === sha) return rel;
    const owner = options.pathOwner?.(libraryPath(FOLDER, rel));
    if (owner === undefined) {
      if (!options.adopt) return freeName(folderAbs, rel, held); // new here: both stay
      followUps.push(await this.keepAsConflictCopy(folderAbs, rel));
      return rel;
    }
    if (keepsName(owner, id)) return freeName(folderAbs, rel, held);
    const movedRel = await freeName(folderAbs, rel, held);
    const movedAbs = resolveInside(folderAbs, movedRel);
    await rename(abs, movedAbs);
    const s = await stat(movedAbs);
    followUps.push(this.filePut(owner, { rel: movedRel, abs: movedAbs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) }, occupant));
    return rel;
  }

  /** The result for a file now at `rel`; placed under another name than the server's, that name goes up as a follow-up. */
  private async placed(id: string, abs: string, rel: string, sha: string, wanted: string, followUps: LocalChange[]): Promise<ApplyResult> {
    const s = await stat(abs);
    const entry: WalkEntry = { rel, abs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) };
    const renamed = rel === wanted ? [] : [this.filePut(id, entry, sha)];
    return { path: libraryPath(FOLDER, rel), localSize: s.size, localMtimeMs: entry.mtimeMs, localHash: sha, followUps: [...followUps, ...renamed] };
  }

  private async applyFolder(rel: string, targetAbs: string, localAbs: string | null): Promise<ApplyResult> {
    if (localAbs !== null && localAbs !== targetAbs && (await isDir(localAbs))) {
      if (!(await exists(targetAbs))) {
        await mkdir(dirname(targetAbs), { recursive: true });
        await rename(localAbs, targetAbs);
      } else {
        await rmdir(localAbs).catch(() => undefined); // only when empty: its files have their own records
      }
    }
    await mkdir(targetAbs, { recursive: true });
    const s = await stat(targetAbs);
    return { path: libraryPath(FOLDER, rel), localSize: 0, localMtimeMs: Math.round(s.mtimeMs), localHash: 'folder', followUps: [] };
  }

  private async applyDelete(record: NimbusRecord, mirror: MirrorItem | undefined, localRel: string | null, localAbs: string | null): Promise<ApplyResult> {
    if (localAbs === null || localRel === null || mirror === undefined) return GONE;
    if (await isDir(localAbs)) {
      await rmdir(localAbs).catch(() => undefined); // a folder that still holds files keeps them (they sync on their own)
      return GONE;
    }
    if (!(await isFile(localAbs))) return GONE;
    const s = await stat(localAbs);
    const hash = await hashOf(localAbs, mirror);
    if (hash === mirror.data?.sha256) {
      await rm(localAbs, { force: true });
      return GONE;
    }
    // Edited here since the last sync: the edit wins over the remote delete and goes up again.
    const entry: WalkEntry = { rel: localRel, abs: localAbs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) };
    const put = this.filePut(record.id, entry, hash as string);
    return { path: put.path, localSize: put.localSize, localMtimeMs: put.localMtimeMs, localHash: put.localHash, followUps: [put] };
  }

  /** Renames the local file to its conflict-copy name next to it; returns the copy as a new item. */
  private async keepAsConflictCopy(folderAbs: string, rel: string): Promise<Put> {
    const dir = parentOf(rel);
    const name = conflictCopyName(nameOf(rel), this.deviceName, this.now(), {
      isTaken: (n) => existsSync(resolveInside(folderAbs, dir === '' ? n : `${dir}/${n}`)),
    });
    const copyRel = dir === '' ? name : `${dir}/${name}`;
    const copyAbs = resolveInside(folderAbs, copyRel);
    await rename(resolveInside(folderAbs, rel), copyAbs);
    const s = await stat(copyAbs);
    const entry: WalkEntry = { rel: copyRel, abs: copyAbs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) };
    return this.filePut(randomUUID(), entry, (await hashFile(copyAbs)).sha256);
  }

  async resolveConflict(ours: Put, theirs: NimbusRecord, _base: MirrorItem | undefined, fs: LibraryFs): Promise<{ write: LocalChange | null; followUps: LocalChange[] }> {
    if (theirs.deleted || theirs.data === null) return { write: ours, followUps: [] };
    const data = driveData(theirs);
    if (ours.data.kind === 'folder' || data.kind === 'folder' || data.sha256 === ours.data.sha256) return { write: null, followUps: [] };
    const folderAbs = resolveInside(fs.root, FOLDER);
    const oursRel = serviceRel(FOLDER, ours.path);
    if (oursRel === null || !(await isFile(resolveInside(folderAbs, oursRel)))) return { write: null, followUps: [] };
    // Theirs goes to the original path (the engine applies it); ours stays beside as a conflict copy.
    return { write: null, followUps: [await this.keepAsConflictCopy(folderAbs, oursRel)] };
  }
}

const isFile = (abs: string): Promise<boolean> => stat(abs).then((s) => s.isFile(), () => false);
const isDir = (abs: string): Promise<boolean> => stat(abs).then((s) => s.isDirectory(), () => false);

async function hashOf(abs: string, item: MirrorItem | undefined): Promise<string | null> {
  const s = await stat(abs).catch(() => null);
  if (!s?.isFile()) return null;
  if (item?.localHash && statMatches(item, s.size, s.mtimeMs)) return item.localHash;
  return (await hashFile(abs)).sha256;
}

export const createDriveAdapter = (deviceName: string, now?: () => number): DriveAdapter => new DriveAdapter(deviceName, now);
