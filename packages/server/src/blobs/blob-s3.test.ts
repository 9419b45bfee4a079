import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestS3 } from '../testing/s3-test-server.js';
import { S3BlobStore } from './blob-s3.js';
import { runBlobStoreTests, tempDir } from './blob-store.suite.js';

async function fixture(partBytes?: number) {
  const s3 = await startTestS3();
  const dir = await tempDir('nimbus-blob-s3-');
  const stagingDir = join(dir.path, 'uploads');
  await mkdir(stagingDir);
  const store = await S3BlobStore.open(s3.config, partBytes ? { partBytes } : {});
  return {
    store,
    stagingDir,
    teardown: async () => {
      await store.close();
      await s3.close();
      await dir.remove();
    },
  };
}

runBlobStoreTests('S3 (s3rver)', () => fixture());

describe('S3BlobStore multipart', () => {
  it('sends a large staged file in parts and reads it back whole and in ranges', async () => {
    const { store, stagingDir, teardown } = await fixture(5 * 1024 * 1024);
    try {
      const bytes = randomBytes(12 * 1024 * 1024 + 123);
      const staged = join(stagingDir, 'big');
      await writeFile(staged, bytes);
      await store.putFile('acct/big-u1', staged, bytes.length);
      const hash = createHash('sha256');
      for await (const chunk of await store.get('acct/big-u1')) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get('acct/big-u1', { start: 5 * 1024 * 1024 - 2, end: 5 * 1024 * 1024 + 1 })) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(bytes.subarray(5 * 1024 * 1024 - 2, 5 * 1024 * 1024 + 2))).toBe(true);
    } finally {
      await teardown();
    }
  });
});
