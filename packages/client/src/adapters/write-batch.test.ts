import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
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
});
