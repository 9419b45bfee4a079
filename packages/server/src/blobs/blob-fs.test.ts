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
