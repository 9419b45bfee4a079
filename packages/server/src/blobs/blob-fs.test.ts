import { describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from './blob-fs.js';
import { runBlobStoreTests, tempDir } from './blob-store.suite.js';

runBlobStoreTests('filesystem', async () => {
  const dir = await tempDir('nimbus-blob-fs-');
  const stagingDir = join(dir.path, 'uploads');
  await mkdir(stagingDir);
  const store = await FsBlobStore.open(join(dir.path, 'blobs'));
  return { store, stagingDir, teardown: async () => { await store.close(); await dir.remove(); } };
});

describe('FsBlobStore.putObjects', () => {
  it('fails (and settles) when one file cannot be written, the others being written and synced beside it', async () => {
    const dir = await tempDir('nimbus-blob-fs-');
    try {
      const store = await FsBlobStore.open(join(dir.path, 'blobs'));
      await store.putObjects([{ key: 'acct/taken/x', bytes: Buffer.from('x') }]); // acct/taken is a folder now
      const objects = [
        { key: 'acct/a', bytes: Buffer.from('a') },
        { key: 'acct/taken', bytes: Buffer.from('not a folder') },
        { key: 'acct/b', bytes: Buffer.from('b') },
      ];
      await expect(store.putObjects(objects)).rejects.toMatchObject({ code: 'EISDIR' });
      const read = async (key: string): Promise<string> => Buffer.concat(await (await store.get(key)).toArray()).toString();
      expect(await read('acct/taken/x')).toBe('x');
    } finally {
      await dir.remove();
    }
  });
});
