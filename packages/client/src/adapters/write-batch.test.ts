import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteBatch } from './write-batch.js';

describe('write batch', () => {
  it('nothing appears under its name before place(); then every file is whole with the stat it promised', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-batch-'));
    const batch = new WriteBatch();
    const written = [];
    for (let i = 0; i < 40; i++) written.push(await batch.write(join(dir, 'sub', `f${i}.txt`), `file ${i}`));
    await batch.copy(join(dir, 'sub', '..', 'sub', (await readdir(join(dir, 'sub')))[0] as string), join(dir, 'copied.bin'), { mtimeMs: 1_700_000_000_000 });
    expect(batch.holds(join(dir, 'sub', 'f3.txt'))).toBe(true);
    expect((await readdir(join(dir, 'sub'))).every((n) => n.startsWith('.nimbus-tmp-'))).toBe(true);
    await batch.place();
    expect(batch.size).toBe(0);
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `f${i}.txt`).sort());
    const s = await stat(join(dir, 'sub', 'f7.txt'));
    expect({ size: s.size, mtimeMs: Math.round(s.mtimeMs) }).toEqual(written[7]);
    expect(await readFile(join(dir, 'sub', 'f7.txt'), 'utf8')).toBe('file 7');
    expect(Math.round((await stat(join(dir, 'copied.bin'))).mtimeMs)).toBe(1_700_000_000_000);
  });

  it('discard() removes every temp file and places nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-batch-'));
    const batch = new WriteBatch();
    await batch.write(join(dir, 'a.txt'), 'a');
    await batch.write(join(dir, 'b.txt'), 'b');
    await expect(batch.write(join(dir, 'a.txt'), 'again')).rejects.toThrow(/twice/);
    await batch.discard();
    expect(await readdir(dir)).toEqual([]);
  });
  it('createAll() writes new files straight under their names, refuses a taken name, and discard() removes what it made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-batch-'));
    await writeFile(join(dir, 'taken.txt'), 'mine');
    const batch = new WriteBatch();
    expect(batch.create(join(dir, 'sub', 'new.txt'), 'héllo')).toBe(6);
    batch.create(join(dir, 'taken.txt'), 'theirs');
    expect(batch.holds(join(dir, 'sub', 'new.txt'))).toBe(true);
    expect(await readdir(dir)).toEqual(['taken.txt']); // nothing written before createAll()
    const created = await batch.createAll();
    const s = await stat(join(dir, 'sub', 'new.txt'));
    expect(created.get(join(dir, 'sub', 'new.txt'))).toEqual({ size: 6, mtimeMs: Math.round(s.mtimeMs) });
    expect(created.get(join(dir, 'taken.txt'))).toBeNull();
    expect(await readFile(join(dir, 'taken.txt'), 'utf8')).toBe('mine');
    await batch.syncCreated();
    await batch.discard();
    expect(await readdir(join(dir, 'sub'))).toEqual([]);
    expect(await readFile(join(dir, 'taken.txt'), 'utf8')).toBe('mine');

    const kept = new WriteBatch();
    kept.create(join(dir, 'sub', 'kept.txt'), 'k');
    kept.createAll();
    kept.keepCreated();
    await kept.discard();
    expect(await readdir(join(dir, 'sub'))).toEqual(['kept.txt']);
  });
});
