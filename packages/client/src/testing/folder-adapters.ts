// Tests only: tiny service adapters over a library folder — a notes-like one (text in the record) and a
// drive-like one (content in a blob) — so the engine can be tested before (and apart from) the real adapters.
import type { NimbusRecord, Service, Zone } from '@nimbus/protocol';
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplyResult, LibraryFs, LocalChange, MirrorItem, ServiceAdapter } from '../adapters/adapter.js';

type PutBlobs = Extract<LocalChange, { kind: 'put' }>['blobs'];

const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

interface Stat {
  localSize: number;
  localMtimeMs: number;
  localHash: string;
}

async function statOf(file: string): Promise<Stat> {
  const [s, bytes] = await Promise.all([stat(file), readFile(file)]);
  return { localSize: s.size, localMtimeMs: Math.trunc(s.mtimeMs), localHash: sha(bytes) };
}

/** Line union: theirs, then our lines theirs lacks. Deterministic, enough to see a merge happened. */
export function mergeText(base: string, ours: string, theirs: string): string {
  if (ours === base) return theirs;
  if (theirs === base || theirs === ours) return ours;
  const have = new Set(theirs.split('\n'));
  return [...theirs.split('\n'), ...ours.split('\n').filter((l) => !have.has(l))].join('\n');
}

abstract class FolderAdapter implements ServiceAdapter {
  abstract readonly service: Service;
  abstract readonly zone: Zone;
  abstract readonly folder: string;
  conflicts = 0;

  protected abstract dataFor(name: string, file: string): Promise<{ data: Record<string, unknown>; blobs: PutBlobs }>;
  protected abstract writeRecord(record: NimbusRecord, file: string, blobFile: (sha256: string) => Promise<string>): Promise<void>;

  async scan(mirror: ReadonlyMap<string, MirrorItem>, fs: LibraryFs): Promise<LocalChange[]> {
    const dir = join(fs.root, this.folder);
    const names = await readdir(dir).catch(() => null);
    if (names === null) return [];
    const byPath = new Map([...mirror.values()].filter((m) => !m.deleted && m.path !== null).map((m) => [m.path!, m]));
    const out: LocalChange[] = [];
    const seen = new Set<string>();
    for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
      const path = `${this.folder}/${name}`;
      seen.add(path);
      const file = join(dir, name);
      const s = await stat(file);
      const item = byPath.get(path);
      if (item && item.localSize === s.size && item.localMtimeMs === Math.trunc(s.mtimeMs)) continue;
      const st = await statOf(file);
      if (item && item.localHash === st.localHash) continue;
      const { data, blobs } = await this.dataFor(name, file);
      out.push({ kind: 'put', zone: this.zone, id: item?.id ?? randomUUID(), path, data, blobs, ...st });
    }
    for (const item of byPath.values()) if (!seen.has(item.path!)) out.push({ kind: 'delete', zone: this.zone, id: item.id, path: item.path! });
    return out;
  }

  async apply(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, blobFile: (sha256: string) => Promise<string>): Promise<ApplyResult> {
    const none: ApplyResult = { path: null, localSize: null, localMtimeMs: null, localHash: null, followUps: [] };
    const current = mirror?.path ? await statOf(join(fs.root, mirror.path)).catch(() => null) : null;
    const editedLocally = current !== null && current.localHash !== mirror?.localHash;
    if (record.deleted) {
      if (!mirror?.path || current === null) return none;
      if (!editedLocally) {
        await rm(join(fs.root, mirror.path), { force: true });
        return none;
      }
      // The local edit outlives the delete: it goes up again under the same id.
      const { data, blobs } = await this.dataFor(mirror.path.slice(this.folder.length + 1), join(fs.root, mirror.path));
      return { path: mirror.path, ...current, followUps: [{ kind: 'put', zone: this.zone, id: record.id, path: mirror.path, data, blobs, ...current }] };
    }
    const path = `${this.folder}/${String(record.data?.['path'])}`;
    const file = join(fs.root, path);
    await mkdir(join(fs.root, this.folder), { recursive: true });
    if (mirror?.path && mirror.path !== path) await rm(join(fs.root, mirror.path), { force: true });
    await this.writeRecord(record, file, blobFile);
    return { path, ...(await statOf(file)), followUps: [] };
  }

  async resolveConflict(ours: LocalChange & { kind: 'put' }, theirs: NimbusRecord, base: MirrorItem | undefined, fs: LibraryFs) {
    this.conflicts++;
    return this.resolve(ours, theirs, base, fs);
  }

  protected abstract resolve(ours: LocalChange & { kind: 'put' }, theirs: NimbusRecord, base: MirrorItem | undefined, fs: LibraryFs): Promise<{ write: LocalChange | null; followUps: LocalChange[] }>;
}

/** Notes/NAME.txt → {path, text}. Conflicts merge the text. */
export class TestNotesAdapter extends FolderAdapter {
  readonly service = 'notes' as const;
  readonly zone = 'notes' as const;
  readonly folder = 'Notes';

  protected async dataFor(name: string, file: string) {
    return { data: { path: name, text: await readFile(file, 'utf8') }, blobs: [] as PutBlobs };
  }

  protected async writeRecord(record: NimbusRecord, file: string): Promise<void> {
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, String(record.data?.['text'] ?? ''));
    await rename(temp, file);
  }

  protected async resolve(ours: LocalChange & { kind: 'put' }, theirs: NimbusRecord, base: MirrorItem | undefined, fs: LibraryFs) {
    const text = mergeText(String(base?.data?.['text'] ?? ''), String(ours.data['text']), String(theirs.data?.['text'] ?? ''));
    const file = join(fs.root, ours.path);
    await writeFile(file, text);
    const write: LocalChange = { ...ours, data: { ...ours.data, text }, ...(await statOf(file)) };
    return { write, followUps: [] };
  }
}

/** Drive/NAME → {path, size} + the content as a blob. Conflicts keep theirs and a conflict copy of ours. */
export class TestDriveAdapter extends FolderAdapter {
  readonly service = 'drive' as const;
  readonly zone = 'drive' as const;
  readonly folder = 'Drive';

  protected async dataFor(name: string, file: string) {
    const bytes = await readFile(file);
    const hash = sha(bytes);
    return { data: { path: name, size: bytes.length }, blobs: [{ sha256: hash, size: bytes.length, file }] };
  }

  protected async writeRecord(record: NimbusRecord, file: string, blobFile: (sha256: string) => Promise<string>): Promise<void> {
    const blob = record.blobs[0];
    if (blob === undefined) return;
    await copyFile(await blobFile(blob), file);
  }

  protected async resolve(ours: LocalChange & { kind: 'put' }, _theirs: NimbusRecord, _base: MirrorItem | undefined, fs: LibraryFs) {
    const copyPath = `${ours.path} (conflict)`;
    await rename(join(fs.root, ours.path), join(fs.root, copyPath));
    const st = await statOf(join(fs.root, copyPath));
    const { data, blobs } = await this.dataFor(copyPath.slice(this.folder.length + 1), join(fs.root, copyPath));
    return { write: null, followUps: [{ kind: 'put' as const, zone: this.zone, id: randomUUID(), path: copyPath, data, blobs, ...st }] };
  }
}
