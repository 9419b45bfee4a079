import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncFileSystemOf } from './fs-sync-group.js';

describe('syncFileSystemOf', () => {
  it('callers asking while a sync runs all get one that ran (Linux), and a missing file gets false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-syncfs-'));
    const files = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const file = join(dir, `f${i}`);
      await writeFile(file, 'x');
      return file;
    }));
    const answers = await Promise.all(files.map((file) => syncFileSystemOf(file)));
    expect(answers).toEqual(files.map(() => process.platform === 'linux'));
    expect(await syncFileSystemOf(join(dir, 'missing'))).toBe(false);
  });
});
