import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFileAtomic, TEMP_PREFIX, writeFileAtomic } from './atomic-write.js';
import { hashFile, hashText } from './file-hash.js';
import { isIgnoredName, walkFolder } from './library-walk.js';

const temp = () => mkdtemp(join(tmpdir(), 'nimbus-atomic-'));

describe('atomic writes', () => {
  it('writes through a temp file, sets the mtime, leaves no temp file', async () => {
    const dir = await temp();
    const file = join(dir, 'sub/a.txt');
    const written = await writeFileAtomic(file, 'hello', { mtimeMs: 1_700_000_000_123 });
    expect(written).toEqual({ size: 5, mtimeMs: 1_700_000_000_123 });
    expect(await readFile(file, 'utf8')).toBe('hello');
    expect(await readdir(join(dir, 'sub'))).toEqual(['a.txt']);
    await writeFileAtomic(file, 'replaced');
    expect(await readFile(file, 'utf8')).toBe('replaced');
  });

  it('a failure leaves the old file whole and no temp file behind', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'keep.txt'), 'old');
    await expect(copyFileAtomic(join(dir, 'missing-blob'), join(dir, 'keep.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(join(dir, 'a-folder'));
    await writeFile(join(dir, 'a-folder/child'), 'x');
    await expect(writeFileAtomic(join(dir, 'a-folder'), 'cannot replace a folder')).rejects.toThrow();
    await expect(writeFileAtomic(join(dir, 'keep.txt'), 'no', { noReplace: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await readdir(dir)).sort()).toEqual(['a-folder', 'keep.txt']);
    expect(await readFile(join(dir, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('copies a blob atomically', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'blob'), Buffer.alloc(3 * 1024 * 1024, 7));
    const out = await copyFileAtomic(join(dir, 'blob'), join(dir, 'x/copy.bin'));
    expect(out.size).toBe(3 * 1024 * 1024);
    expect((await hashFile(join(dir, 'x/copy.bin'))).sha256).toBe(hashText(Buffer.alloc(3 * 1024 * 1024, 7)));
    expect(await readdir(join(dir, 'x'))).toEqual(['copy.bin']);
  });
});

describe('library walk', () => {
  it('lists files and folders, skips temp/OS files and symlinks; null for a missing folder', async () => {
    const dir = await temp();
    await mkdir(join(dir, 'a/b'), { recursive: true });
    await writeFile(join(dir, 'a/b/c.txt'), 'c');
    await writeFile(join(dir, `${TEMP_PREFIX}123-c.txt`), 'half');
    await writeFile(join(dir, '.DS_Store'), '');
    await writeFile(join(dir, '~$doc.docx'), '');
    const entries = await walkFolder(dir, { folders: true });
    expect(entries!.map((e) => [e.rel, e.kind]).sort()).toEqual([['a', 'folder'], ['a/b', 'folder'], ['a/b/c.txt', 'file']]);
    const c = entries!.find((e) => e.rel === 'a/b/c.txt')!;
    expect(c.mtimeMs).toBe(Math.round((await stat(join(dir, 'a/b/c.txt'))).mtimeMs));
    expect(await walkFolder(join(dir, 'nope'))).toBeNull();
    expect(isIgnoredName('.report.txt.swp')).toBe(true);
    expect(isIgnoredName('report.txt')).toBe(false);
  });
});
