// Photos: `Photos/**` pictures as immutable items; record id = the original's SHA-256, metadata from EXIF.
import { rename, rm, stat } from 'node:fs/promises';
import { sha256Schema, type NimbusRecord } from '@nimbus/protocol';
import { ItemError, type ApplyResult, type LibraryFs, type LocalChange, type MirrorItem, type ScanOptions, type ServiceAdapter } from './adapter.js';
import { copyFileAtomic } from './atomic-write.js';
import { hashFile } from './file-hash.js';
import { asItemErrors } from './item-errors.js';
import { walkFolder, type WalkEntry } from './library-walk.js';
import { isPhotoName, photoMime, readPhotoMetadata } from './photo-metadata.js';
import { standinHashOf, standinMark } from './photo-standin.js';
import { assertRealInside, checkedRelPath, libraryPath, resolveInside, serviceRel } from './safe-path.js';
import { deepestFirst, planScan, statMatches } from './scan-plan.js';
import { exists, freeName } from './text-adapter.js';

type Put = LocalChange & { kind: 'put' };
const FOLDER = 'Photos';
const GONE: ApplyResult = { path: null, localSize: null, localMtimeMs: null, localHash: null, followUps: [] };

/** What the file at `abs` is of photo `id`: its original, its optimized stand-in (the row's mark), or neither (null). */
type Held = { readonly localHash: string } | null;

/** Whether the file at `abs` is photo `id` — cheap when its stat matches the mirror row, else by reading it. */
async function heldPhoto(abs: string, item: MirrorItem | undefined, id: string): Promise<Held> {
  const s = await stat(abs).catch(() => null);
  if (!s?.isFile()) return null;
  if (item && statMatches(item, s.size, s.mtimeMs) && item.localHash) {
    return item.localHash === id || standinHashOf(item.localHash) !== null ? { localHash: item.localHash } : null;
  }
  const { sha256 } = await hashFile(abs);
  if (sha256 === id) return { localHash: id };
  return item !== undefined && sha256 === standinHashOf(item.localHash) ? { localHash: standinMark(sha256) } : null;
}

export class PhotosAdapter implements ServiceAdapter {
  readonly service = 'photos' as const;
  readonly zone = 'photos' as const;
  readonly folder = FOLDER;

  private async describe(entry: WalkEntry, sha256: string): Promise<Put> {
    const meta = await readPhotoMetadata(entry.abs);
    const name = entry.rel.slice(entry.rel.lastIndexOf('/') + 1);
    const data = { path: entry.rel, name, size: entry.size, mime: photoMime(name), ...meta };
    return {
      kind: 'put', zone: this.zone, id: sha256, path: libraryPath(FOLDER, entry.rel), data,
      blobs: [{ sha256, size: entry.size, file: entry.abs }], localSize: entry.size, localMtimeMs: entry.mtimeMs, localHash: sha256,
    };
  }

  /**
   * A stand-in now at another path: the photo moved (its record keeps the original, already on the server — the
   * check call finds it, so the stand-in's bytes are never sent in its place).
   */
  private moved(entry: WalkEntry, id: string, data: Record<string, unknown> | null, standinHash: string): Put {
    const name = entry.rel.slice(entry.rel.lastIndexOf('/') + 1);
    const size = typeof data?.['size'] === 'number' ? data['size'] : entry.size;
    return {
      kind: 'put', zone: this.zone, id, path: libraryPath(FOLDER, entry.rel), data: { ...data, path: entry.rel, name },
      blobs: [{ sha256: id, size, file: entry.abs }], localSize: entry.size, localMtimeMs: entry.mtimeMs, localHash: standinMark(standinHash),
    };
  }

  async scan(mirror: ReadonlyMap<string, MirrorItem>, fs: LibraryFs, options: ScanOptions = {}): Promise<LocalChange[]> {
    const folderAbs = resolveInside(fs.root, FOLDER);
    const entries = await walkFolder(folderAbs, { fileFilter: isPhotoName });
    if (entries === null) return [];
    const plan = planScan(FOLDER, entries, mirror, options);
    const out: LocalChange[] = [];
    // Items no longer at their path with their content: deleted unless the same picture shows up elsewhere.
    const gone = new Map(plan.vanished.map((v) => [v.id, v]));
    const stillHere = new Set(plan.unchanged.map(({ item }) => item.id));
    const found = new Map<string, WalkEntry>();
    for (const { entry, item } of plan.changed) {
      const { sha256 } = await hashFile(entry.abs);
      if (sha256 === item.id || sha256 === standinHashOf(item.localHash)) stillHere.add(item.id);
      else {
        gone.set(item.id, item);
        if (!found.has(sha256)) found.set(sha256, { ...entry });
      }
    }
    for (const entry of plan.fresh) {
      const { sha256 } = await hashFile(entry.abs);
      if (!found.has(sha256)) found.set(sha256, entry);
    }
    const standins = new Map<string, MirrorItem>();
    for (const item of mirror.values()) {
      const hash = standinHashOf(item.localHash);
      if (hash !== null && !item.deleted) standins.set(hash, item);
    }
    for (const [sha256, entry] of found) {
      const standinOf = standins.get(sha256);
      if (standinOf) {
        // An optimized stand-in somewhere else: the photo moved (a copy of one still in place is nothing new).
        if (!stillHere.has(standinOf.id) && gone.delete(standinOf.id)) out.push(this.moved(entry, standinOf.id, standinOf.data, sha256));
        continue;
      }
      // A second copy of a picture that is already synced from another path is the same photo: nothing to send.
      if (stillHere.has(sha256)) continue;
      const known = mirror.get(sha256);
      if (known && !known.deleted && known.path !== null && !gone.has(sha256)) continue;
      gone.delete(sha256);
      try {
        out.push(await this.describe(entry, sha256));
      } catch (error) {
        if (error instanceof ItemError) options.onItemError?.(error);
        else throw error;
      }
    }
    for (const id of stillHere) gone.delete(id);
    const deletes = [...gone.values()].map((v): LocalChange => ({ kind: 'delete', zone: this.zone, id: v.id, path: v.path as string }));
    return [...out, ...deepestFirst(deletes as (LocalChange & { kind: 'delete' })[])];
  }

  async apply(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, blobFile: (sha256: string) => Promise<string>): Promise<ApplyResult> {
    const folderAbs = resolveInside(fs.root, FOLDER);
    const localRel = serviceRel(FOLDER, mirror?.path ?? null);
    const localAbs = localRel === null ? null : resolveInside(folderAbs, localRel);
    const where = `${FOLDER}/${record.id}`;
    if (record.deleted) {
      // Immutable: the file is this photo only while its content hashes to the id (or is its stand-in).
      if (localAbs !== null && (await heldPhoto(localAbs, mirror, record.id)) !== null) await rm(localAbs, { force: true });
      return GONE;
    }
    if (!sha256Schema.safeParse(record.id).success) throw new ItemError(where, 'a photo id must be its SHA-256');
    const rel = checkedRelPath(record.data?.path, where);
    if (!isPhotoName(rel)) throw new ItemError(where, 'not a picture file name');
    return asItemErrors(libraryPath(FOLDER, rel), async () => {
      const targetAbs = resolveInside(folderAbs, rel);
      await assertRealInside(folderAbs, targetAbs);
      const placed = async (finalRel: string, held: Held = { localHash: record.id }): Promise<ApplyResult> => {
        const abs = resolveInside(folderAbs, finalRel);
        const s = await stat(abs);
        const entry: WalkEntry = { rel: finalRel, abs, kind: 'file', size: s.size, mtimeMs: Math.round(s.mtimeMs) };
        const localHash = held?.localHash ?? record.id;
        const standin = standinHashOf(localHash);
        // Placed under another name (the server's was taken here): tell the server the name it has.
        const followUps = finalRel === rel ? [] : [standin === null ? await this.describe(entry, record.id) : this.moved(entry, record.id, record.data, standin)];
        return { path: libraryPath(FOLDER, finalRel), localSize: s.size, localMtimeMs: entry.mtimeMs, localHash, followUps };
      };
      const inPlace = await heldPhoto(targetAbs, localRel === rel ? mirror : undefined, record.id);
      if (inPlace) return placed(rel, inPlace);
      const finalRel = (await exists(targetAbs)) ? await freeName(folderAbs, rel) : rel;
      const finalAbs = resolveInside(folderAbs, finalRel);
      const elsewhere = localAbs !== null && localRel !== rel ? await heldPhoto(localAbs, mirror, record.id) : null;
      if (localAbs !== null && elsewhere) {
        // Moved on another device: move it here too (an optimized stand-in stays one), no download.
        await rename(localAbs, finalAbs);
        return placed(finalRel, elsewhere);
      }
      // Metadata arrives before the original (photo-originals lane): nothing to place yet.
      if (!record.blobs.includes(record.id)) return GONE;
      await copyFileAtomic(await blobFile(record.id), finalAbs);
      return placed(finalRel);
    });
  }

  resolveConflict(ours: Put, theirs: NimbusRecord): Promise<{ write: LocalChange | null; followUps: LocalChange[] }> {
    // Same bytes on both sides (the id is the hash): only the name or the blob link can differ.
    // A remote delete loses to our put; ours also wins when it adds the original that theirs lacks, or renames.
    const theirsHasOriginal = theirs.blobs.includes(theirs.id);
    const takeTheirs = !theirs.deleted && theirs.data !== null && theirs.data.path === ours.data.path && (theirsHasOriginal || ours.blobs.length === 0);
    return Promise.resolve({ write: takeTheirs ? null : ours, followUps: [] });
  }
}

export const createPhotosAdapter = (): PhotosAdapter => new PhotosAdapter();
