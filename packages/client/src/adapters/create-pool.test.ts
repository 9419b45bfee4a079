import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreateError, createPool } from './create-pool.js';

describe('createPool (new files on a worker thread)', () => {
  it('creates the files in order with their stats, and answers null for a name already taken (left as it was)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-pool-'));
    await writeFile(join(dir, 'n3.md'), 'mine');
    const files = Array.from({ length: 6 }, (_, i) => [join(dir, `n${i}.md`), `note ${i}\n`] as const);
    const results = await createPool().createAll(files);
    expect(results.map((r) => r?.size ?? null)).toEqual([7, 7, 7, null, 7, 7]);
    expect(await readFile(join(dir, 'n3.md'), 'utf8')).toBe('mine');
    expect(await readFile(join(dir, 'n5.md'), 'utf8')).toBe('note 5\n');
  });

  it('stops at the first other error, naming the files it made before it (the caller removes them)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-pool-'));
    // A folder missing is made; a "folder" that is a file is an error.
    const files = [[join(dir, 'new', 'a.md'), 'a'] as const, [join(dir, 'new', 'a.md', 'b.md'), 'b'] as const, [join(dir, 'c.md'), 'c'] as const];
    const error = await createPool().createAll(files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CreateError);
    expect((error as CreateError).cause.code).toBe('ENOTDIR');
    expect((error as CreateError).made).toEqual([join(dir, 'new', 'a.md')]);
    expect(await readdir(dir, { recursive: true })).toEqual(['new', join('new', 'a.md')]);
    // The pool goes on working after a failed batch.
    expect(await createPool().createAll([[join(dir, 'c.md'), 'c']])).toEqual([{ size: 1, mtimeMs: expect.any(Number) }]);
  });
});
