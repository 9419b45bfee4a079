// The one test suite every BlobStore adapter passes (run by blob-fs.test.ts and blob-s3.test.ts).
import { isNimbusError } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from './blob-store.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** A folder on the same filesystem the store stages from. */
  stagingDir: string;
  teardown(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function runBlobStoreTests(name: string, setup: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    let n = 0;
    const stage = async (bytes: Buffer): Promise<string> => {
      const path = join(fixture.stagingDir, `staged-${++n}`);
      await writeFile(path, bytes);
      return path;
    };

    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.teardown();
    });

    it('stores a staged file, consumes it, and reads it back', async () => {
      const bytes = randomBytes(100_000);
      const staged = await stage(bytes);
      await store.putFile('acct1/abc-u1', staged, bytes.length);
      expect(existsSync(staged)).toBe(false);
      expect(await store.has('acct1/abc-u1')).toBe(true);
      expect((await readAll(await store.get('acct1/abc-u1'))).equals(bytes)).toBe(true);
    });

    it('reads inclusive byte ranges', async () => {
      const bytes = randomBytes(5000);
      await store.putFile('acct1/range-u1', await stage(bytes), bytes.length);
      expect((await readAll(await store.get('acct1/range-u1', { start: 0, end: 0 }))).equals(bytes.subarray(0, 1))).toBe(true);
      expect((await readAll(await store.get('acct1/range-u1', { start: 100, end: 1099 }))).equals(bytes.subarray(100, 1100))).toBe(true);
      expect((await readAll(await store.get('acct1/range-u1', { start: 4990, end: 4999 }))).equals(bytes.subarray(4990))).toBe(true);
    });

    it('stores empty blobs', async () => {
      await store.putFile('acct1/empty-u1', await stage(Buffer.alloc(0)), 0);
      expect((await readAll(await store.get('acct1/empty-u1'))).length).toBe(0);
    });

    it('replaces an existing key atomically', async () => {
      await store.putFile('acct1/same-u1', await stage(Buffer.from('first')), 5);
      await store.putFile('acct1/same-u1', await stage(Buffer.from('second')), 6);
      expect((await readAll(await store.get('acct1/same-u1'))).toString()).toBe('second');
    });

    it('stores many small objects from memory at once, across folders', async () => {
      const objects = Array.from({ length: 40 }, (_, i) => ({ key: `acct${i % 3}/many-${i}-u1`, bytes: randomBytes(i * 37) }));
      await store.putObjects(objects);
      for (const object of objects) expect((await readAll(await store.get(object.key))).equals(object.bytes), object.key).toBe(true);
      await store.putObjects([]);
      await expect(store.putObjects([{ key: '../escape', bytes: Buffer.from('x') }])).rejects.toThrow(/invalid blob store key/);
    });

    it('answers NOT_FOUND for a missing key', async () => {
      const error: unknown = await store.get('acct1/missing-u9').catch((e: unknown) => e);
      expect(isNimbusError(error) && error.kind).toBe('NOT_FOUND');
      expect(await store.has('acct1/missing-u9')).toBe(false);
    });

    it('deletes idempotently', async () => {
      await store.putFile('acct2/del-u1', await stage(Buffer.from('bye')), 3);
      await store.delete('acct2/del-u1');
      await store.delete('acct2/del-u1');
      await store.delete('acct2/never-u1');
      expect(await store.has('acct2/del-u1')).toBe(false);
    });

    it('refuses keys that could escape the store', async () => {
      for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', 'sp ace', 'a/./b', '', 'back\\slash']) {
        await expect(store.has(key), key).rejects.toThrow(/invalid blob store key/);
        await expect(store.delete(key), key).rejects.toThrow(/invalid blob store key/);
      }
    });
  });
}

/** A temp folder for a fixture; removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
