import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastCdc } from './fastcdc.js';
import { ChunkReader } from './file-chunks.js';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('ChunkReader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-chunks-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const small = new FastCdc({ minSize: 1024, avgSize: 4096, maxSize: 16 * 1024 });

  it('cuts a file read window by window exactly as the whole buffer, through one reused window', async () => {
    // Windows much smaller than the file (and not a multiple of anything) make every carry-over happen.
    const reader = new ChunkReader(small, 10_000);
    for (const size of [0, 1, 1023, 16 * 1024, 16 * 1024 + 1, 200_000, 1_000_003]) {
      const data = randomBytes(size);
      const file = join(dir, `f${size}`);
      await writeFile(file, data);
      const got: string[] = [];
      for await (const chunk of reader.chunks(file)) got.push(sha(chunk)); // hashed before the next chunk reuses the window
      const want: string[] = [];
      let start = 0;
      for (const length of small.lengths(data)) {
        want.push(sha(data.subarray(start, start + length)));
        start += length;
      }
      expect(got, `file of ${size} bytes`).toEqual(want);
    }
  });

  it('fails on a missing file with the file system error', async () => {
    const reader = new ChunkReader(small);
    await expect(async () => {
      for await (const _ of reader.chunks(join(dir, 'missing'))) void _;
    }).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
