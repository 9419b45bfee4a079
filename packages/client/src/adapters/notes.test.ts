import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItemError, type LocalChange, type MirrorItem } from './adapter.js';
import { createNotesAdapter } from './notes.js';
import { commit, mirrorAfterApply, noBlobs, put, record, tempLibrary } from './testing/kit.js';

const notes = createNotesAdapter('Laptop');
const puts = (changes: LocalChange[]) => changes.filter((c): c is LocalChange & { kind: 'put' } => c.kind === 'put');
const T0 = Date.UTC(2026, 0, 1);

describe('notes scan', () => {
  it('finds new, edited, renamed and deleted notes; ignores temp and OS files', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Notes/todo.md', 'milk\n');
    await put(fs, 'Notes/work/plan.txt', 'ship it\n');
    await put(fs, 'Notes/.DS_Store', 'x');
    await put(fs, 'Notes/.nimbus-tmp-abc-todo.md', 'half');
    await put(fs, 'Notes/~$lock.md', 'x');
    await put(fs, 'Notes/picture.png', 'x');
    const first = await notes.scan(new Map(), fs);
    expect(puts(first).map((c) => c.data).sort((a, b) => String(a.path).localeCompare(String(b.path)))).toEqual([
      { path: 'todo.md', text: 'milk\n' },
      { path: 'work/plan.txt', text: 'ship it\n' },
    ]);
    const mirror = commit(new Map(), first);
    expect(await notes.scan(mirror, fs)).toEqual([]);

    const todoId = first.find((c) => c.path === 'Notes/todo.md')!.id;
    const planId = first.find((c) => c.path === 'Notes/work/plan.txt')!.id;
    await put(fs, 'Notes/todo.md', 'milk\neggs\n', T0 + 5000);
    await import('node:fs/promises').then((f) => f.rename(join(fs.root, 'Notes/work/plan.txt'), join(fs.root, 'Notes/work/roadmap.txt')));
    const second = await notes.scan(mirror, fs);
    expect(second).toHaveLength(2);
    expect(second).toContainEqual(expect.objectContaining({ kind: 'put', id: todoId, data: { path: 'todo.md', text: 'milk\neggs\n' } }));
    expect(second).toContainEqual(expect.objectContaining({ kind: 'put', id: planId, path: 'Notes/work/roadmap.txt' }));
    commit(mirror, second);

    await import('node:fs/promises').then((f) => f.rm(join(fs.root, 'Notes/todo.md')));
    expect(await notes.scan(mirror, fs)).toEqual([{ kind: 'delete', zone: 'notes', id: todoId, path: 'Notes/todo.md' }]);
  });

  it('does not read files whose size and mtime match the mirror', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Notes/a.md', 'hello', T0);
    const mirror = new Map<string, MirrorItem>([['n1', {
      zone: 'notes', id: 'n1', version: 1, data: { path: 'a.md', text: 'other' }, blobs: [], path: 'Notes/a.md', localSize: 5, localMtimeMs: T0, localHash: 'not-the-hash',
    }]]);
    expect(await notes.scan(mirror, fs)).toEqual([]);
  });

  it('reports nothing when the folder is missing (never mass deletes)', async () => {
    const fs = await tempLibrary();
    const mirror = new Map<string, MirrorItem>([['n1', { zone: 'notes', id: 'n1', version: 1, data: { path: 'a.md', text: '' }, blobs: [], path: 'Notes/a.md', localSize: 0, localMtimeMs: 1, localHash: 'h' }]]);
    expect(await notes.scan(mirror, fs)).toEqual([]);
  });

  it('waits for files still being written when asked (settleMs)', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Notes/new.md', 'typing…', T0);
    expect(await notes.scan(new Map(), fs, { settleMs: 2000, now: () => T0 + 500 })).toEqual([]);
    expect(puts(await notes.scan(new Map(), fs, { settleMs: 2000, now: () => T0 + 2500 }))).toHaveLength(1);
  });

  it('sets aside a note too big for one record and goes on', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Notes/huge.txt', 'x'.repeat(1024 * 1024 + 1));
    await put(fs, 'Notes/small.md', 'ok');
    const errors: ItemError[] = [];
    const changes = await notes.scan(new Map(), fs, { onItemError: (e) => errors.push(e) });
    expect(puts(changes).map((c) => c.path)).toEqual(['Notes/small.md']);
    expect(errors.map((e) => e.path)).toEqual(['Notes/huge.txt']);
  });
});

describe('notes apply and conflicts', () => {
  async function synced(text: string) {
    const fs = await tempLibrary();
    await put(fs, 'Notes/list.md', text);
    const mirror = commit(new Map(), await notes.scan(new Map(), fs));
    const id = [...mirror.keys()][0]!;
    return { fs, mirror, id };
  }

  it('writes a remote edit when there is no local edit', async () => {
    const { fs, mirror, id } = await synced('a\nb\n');
    const r = await notes.apply(record('notes', id, 2, { path: 'list.md', text: 'a\nb\nc\n' }), mirror.get(id), fs, noBlobs);
    expect(await readFile(join(fs.root, 'Notes/list.md'), 'utf8')).toBe('a\nb\nc\n');
    expect(r.followUps).toEqual([]);
    mirrorAfterApply(mirror, record('notes', id, 2, { path: 'list.md', text: 'a\nb\nc\n' }), r);
    expect(await notes.scan(mirror, fs)).toEqual([]);
  });

  it('merges a remote edit with a local edit of other lines', async () => {
    const { fs, mirror, id } = await synced('one\ntwo\nthree\nfour\n');
    await put(fs, 'Notes/list.md', 'ONE\ntwo\nthree\nfour\n', T0);
    const r = await notes.apply(record('notes', id, 2, { path: 'list.md', text: 'one\ntwo\nthree\nFOUR\n' }), mirror.get(id), fs, noBlobs);
    const merged = 'ONE\ntwo\nthree\nFOUR\n';
    expect(await readFile(join(fs.root, 'Notes/list.md'), 'utf8')).toBe(merged);
    expect(r.followUps).toEqual([expect.objectContaining({ kind: 'put', id, data: { path: 'list.md', text: merged } })]);
  });

  it('merges a local edit that is still in the outbox (its stat already in the mirror)', async () => {
    const { fs, mirror, id } = await synced('one\ntwo\n');
    await put(fs, 'Notes/list.md', 'one\ntwo\nmine\n', T0);
    const [pending] = puts(await notes.scan(mirror, fs));
    // What the engine does at scan time: local stat recorded, data (the base) kept.
    mirror.set(id, { ...mirror.get(id)!, localSize: pending!.localSize, localMtimeMs: pending!.localMtimeMs, localHash: pending!.localHash });
    await notes.apply(record('notes', id, 2, { path: 'list.md', text: 'theirs\none\ntwo\n' }), mirror.get(id), fs, noBlobs);
    expect(await readFile(join(fs.root, 'Notes/list.md'), 'utf8')).toBe('theirs\none\ntwo\nmine\n');
  });

  it('keeps both texts with markers when the same line changed on both sides', async () => {
    const { fs, mirror, id } = await synced('title\nbody\n');
    await put(fs, 'Notes/list.md', 'title\nmine\n', T0);
    await notes.apply(record('notes', id, 2, { path: 'list.md', text: 'title\ntheirs\n' }), mirror.get(id), fs, noBlobs);
    const text = await readFile(join(fs.root, 'Notes/list.md'), 'utf8');
    expect(text).toContain('<<<<<<< Laptop');
    expect(text).toContain('mine');
    expect(text).toContain('theirs');
    expect(text).toContain('>>>>>>> other device');
  });

  it('resolveConflict merges ours with the server copy and writes the result', async () => {
    const { fs, mirror, id } = await synced('a\nb\nc\n');
    await put(fs, 'Notes/list.md', 'a\nb\nc\nmine\n', T0);
    const [ours] = puts(await notes.scan(mirror, fs));
    const { write, followUps } = await notes.resolveConflict(ours!, record('notes', id, 3, { path: 'list.md', text: 'theirs\na\nb\nc\n' }), mirror.get(id), fs);
    expect(followUps).toEqual([]);
    expect(write).toMatchObject({ kind: 'put', id, data: { text: 'theirs\na\nb\nc\nmine\n' } });
    expect(await readFile(join(fs.root, 'Notes/list.md'), 'utf8')).toBe('theirs\na\nb\nc\nmine\n');
  });

  it('follows a remote rename; a remote delete removes only an unchanged note', async () => {
    const { fs, mirror, id } = await synced('x\n');
    const moved = record('notes', id, 2, { path: 'archive/list.md', text: 'x\n' });
    const r = await notes.apply(moved, mirror.get(id), fs, noBlobs);
    expect(r.path).toBe('Notes/archive/list.md');
    expect(existsSync(join(fs.root, 'Notes/list.md'))).toBe(false);
    mirrorAfterApply(mirror, moved, r);
    await put(fs, 'Notes/archive/list.md', 'x\nedited\n', T0);
    const kept = await notes.apply({ ...record('notes', id, 3, null) }, mirror.get(id), fs, noBlobs);
    expect(kept.followUps).toEqual([expect.objectContaining({ kind: 'put', id, data: { path: 'archive/list.md', text: 'x\nedited\n' } })]);
    expect(existsSync(join(fs.root, 'Notes/archive/list.md'))).toBe(true);
    mirrorAfterApply(mirror, moved, { ...kept, followUps: [] });
    mirror.get(id)!.data = { path: 'archive/list.md', text: 'x\nedited\n' };
    const gone = await notes.apply(record('notes', id, 4, null), mirror.get(id), fs, noBlobs);
    expect(gone.path).toBeNull();
    expect(existsSync(join(fs.root, 'Notes/archive/list.md'))).toBe(false);
  });

  it('keeps an unrelated local file that holds the incoming name', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Notes/todo.md', 'mine, not synced yet');
    const r = await notes.apply(record('notes', 'remote-1', 1, { path: 'todo.md', text: 'from the other device' }), undefined, fs, noBlobs);
    expect(r.path).toBe('Notes/todo 2.md');
    expect(await readFile(join(fs.root, 'Notes/todo.md'), 'utf8')).toBe('mine, not synced yet');
    expect(r.followUps).toEqual([expect.objectContaining({ id: 'remote-1', data: { path: 'todo 2.md', text: 'from the other device' } })]);
  });

  it('a folder where the note should go is an item error, not a crash', async () => {
    const fs = await tempLibrary();
    await import('node:fs/promises').then((f) => f.mkdir(join(fs.root, 'Notes/odd.md'), { recursive: true }));
    await expect(notes.apply(record('notes', 'n', 1, { path: 'odd.md/inner.md', text: 'x' }), undefined, fs, noBlobs)).resolves.toMatchObject({ path: 'Notes/odd.md/inner.md' });
    await expect(notes.apply(record('notes', 'm', 1, { path: 'odd.md', text: 'x' }), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
  });

  it.each(['../escape.md', '/etc/escape.md', 'a/../../escape.md', 'a/./b.md', 'nul\u0000.md', 'x\\..\\y.md', '..', 'C:/x.md', ''])(
    'refuses the hostile server path %j and writes nothing',
    async (path) => {
      const fs = await tempLibrary();
      await expect(notes.apply(record('notes', 'h', 1, { path, text: 'pwned' }), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
      expect(await readdir(fs.root)).toEqual([]);
    },
  );
});
