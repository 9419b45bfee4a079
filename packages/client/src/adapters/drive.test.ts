import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItemError, type LocalChange } from './adapter.js';
import { createDriveAdapter } from './drive.js';
import { commit, mirrorAfterApply, noBlobs, put, record, tempLibrary } from './testing/kit.js';

const DAY = Date.UTC(2026, 10, 23, 12, 0);
const drive = createDriveAdapter('Laptop', () => DAY);
const sha = (b: string): string => createHash('sha256').update(b).digest('hex');
const puts = (changes: LocalChange[]) => changes.filter((c): c is LocalChange & { kind: 'put' } => c.kind === 'put');
const fileData = (path: string, content: string, mtimeMs = DAY) => ({ path, kind: 'file', size: Buffer.byteLength(content), mtimeMs, sha256: sha(content) });

async function synced(files: Record<string, string>) {
  const fs = await tempLibrary();
  for (const [rel, content] of Object.entries(files)) await put(fs, `Drive/${rel}`, content);
  const mirror = commit(new Map(), await drive.scan(new Map(), fs));
  const idOf = (rel: string): string => [...mirror.values()].find((m) => m.path === `Drive/${rel}`)!.id;
  return { fs, mirror, idOf };
}

describe('drive scan', () => {
  it('reports files and folders (empty ones too), parents first, with blobs for files', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Drive/docs/report.pdf', 'pdf bytes');
    await mkdir(join(fs.root, 'Drive/empty'), { recursive: true });
    await put(fs, 'Drive/--leading-dash', 'x');
    await put(fs, 'Drive/Ünïcödé 日本.txt', 'u');
    const changes = puts(await drive.scan(new Map(), fs));
    expect(changes.map((c) => c.data.path).sort()).toEqual(['--leading-dash', 'docs', 'docs/report.pdf', 'empty', 'Ünïcödé 日本.txt'].sort());
    expect(changes.findIndex((c) => c.data.path === 'docs')).toBeLessThan(changes.findIndex((c) => c.data.path === 'docs/report.pdf'));
    const report = changes.find((c) => c.data.path === 'docs/report.pdf')!;
    expect(report.data).toMatchObject({ kind: 'file', size: 9, sha256: sha('pdf bytes') });
    expect(report.blobs).toEqual([{ sha256: sha('pdf bytes'), size: 9, file: join(fs.root, 'Drive/docs/report.pdf') }]);
    expect(changes.find((c) => c.data.path === 'empty')!.data).toMatchObject({ kind: 'folder', sha256: null });
  });

  it('keeps ids through moves and folder renames; deletes come children first', async () => {
    const { fs, mirror, idOf } = await synced({ 'a/one.txt': '1', 'a/two.txt': '22', 'b.txt': 'bee' });
    expect(await drive.scan(mirror, fs)).toEqual([]);
    const [a, one, two, b] = [idOf('a'), idOf('a/one.txt'), idOf('a/two.txt'), idOf('b.txt')];
    await rename(join(fs.root, 'Drive/a'), join(fs.root, 'Drive/renamed'));
    await rename(join(fs.root, 'Drive/b.txt'), join(fs.root, 'Drive/renamed/b moved.txt'));
    const changes = await drive.scan(mirror, fs);
    expect(changes.every((c) => c.kind === 'put')).toBe(true);
    expect(Object.fromEntries(puts(changes).map((c) => [c.id, c.data.path]))).toEqual({
      [a]: 'renamed', [one]: 'renamed/one.txt', [two]: 'renamed/two.txt', [b]: 'renamed/b moved.txt',
    });
    commit(mirror, changes);
    await rm(join(fs.root, 'Drive/renamed'), { recursive: true });
    const deletes = await drive.scan(mirror, fs);
    expect(deletes.map((c) => c.kind)).toEqual(['delete', 'delete', 'delete', 'delete']);
    expect(deletes.at(-1)!.id).toBe(a);
  });

  it('a folder replaced by a file of the same name is a delete and a new item', async () => {
    const { fs, mirror, idOf } = await synced({ 'thing/inner.txt': 'i' });
    const folderId = idOf('thing');
    await rm(join(fs.root, 'Drive/thing'), { recursive: true });
    await put(fs, 'Drive/thing', 'now a file');
    const changes = await drive.scan(mirror, fs);
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'delete', id: folderId }));
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'put', path: 'Drive/thing', data: expect.objectContaining({ kind: 'file' }) }));
    expect(changes.find((c) => c.kind === 'put')!.id).not.toBe(folderId);
  });

  it('an edit is a put of the same id with the new hash; a missing Drive folder reports nothing', async () => {
    const { fs, mirror, idOf } = await synced({ 'f.txt': 'old' });
    await put(fs, 'Drive/f.txt', 'new content', DAY);
    expect(await drive.scan(mirror, fs)).toEqual([expect.objectContaining({ id: idOf('f.txt'), data: fileData('f.txt', 'new content') })]);
    await rm(join(fs.root, 'Drive'), { recursive: true });
    expect(await drive.scan(mirror, fs)).toEqual([]);
  });
});

describe('drive apply and conflicts', () => {
  it('downloads a remote edit, and follows a remote move without downloading', async () => {
    const { fs, mirror, idOf } = await synced({ 'f.txt': 'v1' });
    const id = idOf('f.txt');
    const blob = await put(fs, 'dl/blob', 'v2');
    const edit = record('drive', id, 2, fileData('f.txt', 'v2', DAY - 1000), [sha('v2')]);
    const r = await drive.apply(edit, mirror.get(id), fs, async () => blob);
    expect(await readFile(join(fs.root, 'Drive/f.txt'), 'utf8')).toBe('v2');
    expect(r).toMatchObject({ path: 'Drive/f.txt', localSize: 2, localMtimeMs: DAY - 1000, localHash: sha('v2'), followUps: [] });
    expect((await stat(join(fs.root, 'Drive/f.txt'))).mtimeMs).toBe(DAY - 1000);
    mirrorAfterApply(mirror, edit, r);
    expect(await drive.scan(mirror, fs)).toEqual([]);
    const move = record('drive', id, 3, fileData('deep/er/g.txt', 'v2', DAY - 1000), [sha('v2')]);
    const moved = await drive.apply(move, mirror.get(id), fs, noBlobs);
    expect(moved.path).toBe('Drive/deep/er/g.txt');
    expect(existsSync(join(fs.root, 'Drive/f.txt'))).toBe(false);
    mirrorAfterApply(mirror, move, moved);
    // The file is in sync; only the folders made for it are new here (their own records normally arrive first).
    expect((await drive.scan(mirror, fs)).map((c) => [c.kind, c.path])).toEqual([['put', 'Drive/deep'], ['put', 'Drive/deep/er']]);
  });

  it('both sides changed a file: ours becomes the conflict copy, theirs takes the name', async () => {
    const { fs, mirror, idOf } = await synced({ 'docs/plan.txt': 'base' });
    const id = idOf('docs/plan.txt');
    await put(fs, 'Drive/docs/plan.txt', 'ours!!', DAY);
    await put(fs, 'Drive/docs/plan (conflict from Laptop 2026-11-23).txt', 'an older copy');
    const blob = await put(fs, 'dl/blob', 'theirs');
    const r = await drive.apply(record('drive', id, 2, fileData('docs/plan.txt', 'theirs'), [sha('theirs')]), mirror.get(id), fs, async () => blob);
    expect(await readFile(join(fs.root, 'Drive/docs/plan.txt'), 'utf8')).toBe('theirs');
    expect(await readFile(join(fs.root, 'Drive/docs/plan (conflict from Laptop 2026-11-23) 2.txt'), 'utf8')).toBe('ours!!');
    expect(r.followUps).toEqual([expect.objectContaining({ kind: 'put', path: 'Drive/docs/plan (conflict from Laptop 2026-11-23) 2.txt', data: expect.objectContaining({ sha256: sha('ours!!') }) })]);
    expect(r.followUps[0]!.id).not.toBe(id);
  });

  it('a local edit still in the outbox (stat already in the mirror) is kept as a conflict copy, not overwritten', async () => {
    const { fs, mirror, idOf } = await synced({ 'p.txt': 'base' });
    const id = idOf('p.txt');
    await put(fs, 'Drive/p.txt', 'pending', DAY);
    const [pending] = puts(await drive.scan(mirror, fs));
    mirror.set(id, { ...mirror.get(id)!, localSize: pending!.localSize, localMtimeMs: pending!.localMtimeMs, localHash: pending!.localHash });
    const blob = await put(fs, 'dl/blob', 'theirs');
    const r = await drive.apply(record('drive', id, 2, fileData('p.txt', 'theirs'), [sha('theirs')]), mirror.get(id), fs, async () => blob);
    expect(r.followUps).toHaveLength(1);
    expect(await readFile(join(fs.root, 'Drive/p (conflict from Laptop 2026-11-23).txt'), 'utf8')).toBe('pending');
  });

  it('a local move not yet sent survives a remote edit that kept the old path', async () => {
    const { fs, mirror, idOf } = await synced({ 'old.txt': 'base' });
    const id = idOf('old.txt');
    await rename(join(fs.root, 'Drive/old.txt'), join(fs.root, 'Drive/new.txt'));
    const [pending] = puts(await drive.scan(mirror, fs));
    mirror.set(id, { ...mirror.get(id)!, path: pending!.path, localSize: pending!.localSize, localMtimeMs: pending!.localMtimeMs, localHash: pending!.localHash });
    const blob = await put(fs, 'dl/blob', 'theirs');
    const r = await drive.apply(record('drive', id, 2, fileData('old.txt', 'theirs'), [sha('theirs')]), mirror.get(id), fs, async () => blob);
    expect(r.path).toBe('Drive/new.txt');
    expect(await readdir(join(fs.root, 'Drive'))).toEqual(['new.txt']);
    expect(await readFile(join(fs.root, 'Drive/new.txt'), 'utf8')).toBe('theirs');
    expect(r.followUps).toEqual([expect.objectContaining({ id, data: expect.objectContaining({ path: 'new.txt', sha256: sha('theirs') }) })]);
  });

  it('resolveConflict keeps ours as a conflict copy and lets the engine apply theirs', async () => {
    const { fs, mirror, idOf } = await synced({ 'notes.txt': 'base' });
    const id = idOf('notes.txt');
    await put(fs, 'Drive/notes.txt', 'ours', DAY);
    const [ours] = puts(await drive.scan(mirror, fs));
    const theirs = record('drive', id, 3, fileData('notes.txt', 'theirs'), [sha('theirs')]);
    const { write, followUps } = await drive.resolveConflict(ours!, theirs, mirror.get(id), fs);
    expect(write).toBeNull();
    expect(followUps).toEqual([expect.objectContaining({ path: 'Drive/notes (conflict from Laptop 2026-11-23).txt' })]);
    const blob = await put(fs, 'dl/blob', 'theirs');
    const r = await drive.apply(theirs, mirror.get(id), fs, async () => blob);
    expect(r.followUps).toEqual([]);
    expect((await readdir(join(fs.root, 'Drive'))).sort()).toEqual(['notes (conflict from Laptop 2026-11-23).txt', 'notes.txt']);
    expect(await readFile(join(fs.root, 'Drive/notes.txt'), 'utf8')).toBe('theirs');
  });

  it('a remote delete removes an unchanged file and keeps an edited one as a re-upload', async () => {
    const { fs, mirror, idOf } = await synced({ 'keep.txt': 'k', 'drop.txt': 'd', 'dir/x.txt': 'x' });
    await put(fs, 'Drive/keep.txt', 'edited', DAY);
    const kept = await drive.apply(record('drive', idOf('keep.txt'), 2, null), mirror.get(idOf('keep.txt')), fs, noBlobs);
    expect(kept.followUps).toEqual([expect.objectContaining({ kind: 'put', id: idOf('keep.txt') })]);
    await drive.apply(record('drive', idOf('drop.txt'), 2, null), mirror.get(idOf('drop.txt')), fs, noBlobs);
    await drive.apply(record('drive', idOf('dir/x.txt'), 2, null), mirror.get(idOf('dir/x.txt')), fs, noBlobs);
    await drive.apply(record('drive', idOf('dir'), 2, null), mirror.get(idOf('dir')), fs, noBlobs);
    expect(await readdir(join(fs.root, 'Drive'))).toEqual(['keep.txt']);
  });

  it('an incoming folder is made; an unrelated local file at the incoming name is kept', async () => {
    const fs = await tempLibrary();
    expect((await drive.apply(record('drive', 'f1', 1, { path: 'new/empty', kind: 'folder' }), undefined, fs, noBlobs)).path).toBe('Drive/new/empty');
    await put(fs, 'Drive/same.txt', 'local one');
    const blob = await put(fs, 'dl/blob', 'remote one');
    const r = await drive.apply(record('drive', 'r1', 1, fileData('same.txt', 'remote one'), [sha('remote one')]), undefined, fs, async () => blob);
    expect(r.path).toBe('Drive/same 2.txt');
    expect(r.followUps).toEqual([expect.objectContaining({ kind: 'put', id: 'r1', data: expect.objectContaining({ path: 'same 2.txt' }) })]);
    expect(await readFile(join(fs.root, 'Drive/same.txt'), 'utf8')).toBe('local one');
  });

  it.each(['../../etc/passwd', '/etc/passwd', 'a/../../x', '..', '.', 'a//b', 'a/./b', 'tab\tname', 'nul\u0000', 'back\\slash', `${'x'.repeat(256)}`, ''])(
    'refuses the hostile server path %j',
    async (path) => {
      const fs = await tempLibrary();
      await expect(drive.apply(record('drive', 'h', 1, fileData(path, 'pwned'), [sha('pwned')]), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
      await expect(drive.apply(record('drive', 'h', 1, { path, kind: 'folder' }), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
      expect(await readdir(fs.root)).toEqual([]);
    },
  );

  it('never writes through a symlinked folder that points outside the library', async () => {
    const fs = await tempLibrary();
    const outside = await mkdtemp(join(tmpdir(), 'nimbus-outside-'));
    await mkdir(join(fs.root, 'Drive'));
    await symlink(outside, join(fs.root, 'Drive/link'));
    const blob = await put(fs, 'dl/blob', 'pwned');
    await expect(drive.apply(record('drive', 'h', 1, fileData('link/x.txt', 'pwned'), [sha('pwned')]), undefined, fs, async () => blob)).rejects.toBeInstanceOf(ItemError);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses a file record whose hash is not among its blobs', async () => {
    const fs = await tempLibrary();
    await expect(drive.apply(record('drive', 'h', 1, fileData('a.txt', 'x'), []), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
  });
});
