import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile, hashFiles } from './file-hash.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('file hashes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-hash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hashes many files, small and big, empty ones too, the same as one at a time', async () => {
    const contents = [Buffer.alloc(0), randomBytes(1), randomBytes(4096), randomBytes(1024 * 1024), randomBytes(1024 * 1024 + 1), randomBytes(3 * 1024 * 1024 + 17)];
    for (let i = 0; i < 300; i++) contents.push(randomBytes(i * 13));
    const files = await Promise.all(contents.map(async (bytes, i) => {
      const file = join(dir, `f${i}`);
      await writeFile(file, bytes);
      return file;
    }));
    const digests = await hashFiles(files);
    expect(digests.size).toBe(files.length);
    files.forEach((file, i) => expect(digests.get(file), file).toEqual({ sha256: sha(contents[i]!), size: contents[i]!.length }));
    expect(await hashFile(files[5]!)).toEqual({ sha256: sha(contents[5]!), size: contents[5]!.length });
  });

  it('throws when a file is gone', async () => {
    await expect(hashFiles([join(dir, 'missing')])).rejects.toThrow(/ENOENT/);
  });
});
