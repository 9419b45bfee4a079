import type { BatchWriteResponse, WriteResult } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';

const shaA = 'a'.repeat(64);
const shaB = 'b'.repeat(64);

describeEachDatabase('blob references from records', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  beforeEach(async () => {
    ({ server, token, accountId } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  /** Stands in for a finished upload: the bytes in the store, the row, the charge. */
  const uploaded = async (sha256: string, size: number, zone = 'photos') => {
    const storageKey = `${accountId}/${sha256}-test`;
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-blob-'));
    const staged = join(dir, 'staged');
    await writeFile(staged, Buffer.alloc(size));
    await server.ctx.blobs.putFile(storageKey, staged, size);
    await rm(dir, { recursive: true, force: true });
    const db = server.ctx.store.db;
    await db.insertInto('account_blobs').values({ account_id: accountId, sha256, size, storage_key: storageKey, zone, refcount: 0, created_at: 0 }).execute();
    await db.updateTable('accounts').set({ used_bytes: sql`used_bytes + ${size}` }).where('id', '=', accountId).execute();
    return storageKey;
  };
  const results = async (writes: unknown[]): Promise<WriteResult[]> => {
    const res = await server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<BatchWriteResponse>().results;
  };
  const blobRow = (sha: string) =>
    server.ctx.store.db.selectFrom('account_blobs').select(['refcount']).where('account_id', '=', accountId).where('sha256', '=', sha).executeTakeFirst();
  const used = async () =>
    (await server.ctx.store.db.selectFrom('accounts').select('used_bytes').where('id', '=', accountId).executeTakeFirstOrThrow()).used_bytes;

  it('counts a blob shared by two records once, and frees it with the last of them', async () => {
    const key = await uploaded(shaA, 5000);
    const answers = await results([
      { zone: 'photos', id: 'p1', baseVersion: 0, data: {}, blobs: [shaA, shaA] },
      { zone: 'photos', id: 'p2', baseVersion: 0, data: {}, blobs: [shaA] },
    ]);
    expect(answers.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(await blobRow(shaA)).toEqual({ refcount: 2 });
    expect(await used()).toBe(5000 + 4);
    await results([{ zone: 'photos', id: 'p1', baseVersion: 1, delete: true }]);
    expect(await blobRow(shaA)).toEqual({ refcount: 1 });
    expect(await server.ctx.blobs.has(key)).toBe(true);
    await results([{ zone: 'photos', id: 'p2', baseVersion: 1, delete: true }]);
    expect(await blobRow(shaA)).toBeUndefined();
    expect(await used()).toBe(0);
    expect(await server.ctx.blobs.has(key)).toBe(false);
  });

  it('moves references when a record changes its blobs', async () => {
    await uploaded(shaA, 100);
    await uploaded(shaB, 200);
    await results([{ zone: 'drive', id: 'f', baseVersion: 0, data: { v: 1 }, blobs: [shaA] }]);
    await results([{ zone: 'drive', id: 'f', baseVersion: 1, data: { v: 2 }, blobs: [shaB] }]);
    expect(await blobRow(shaA)).toBeUndefined();
    expect(await blobRow(shaB)).toEqual({ refcount: 1 });
    expect(await used()).toBe(200 + 7);
  });

  it('nets out references within one batch', async () => {
    await uploaded(shaA, 100);
    const answers = await results([
      { zone: 'photos', id: 'x', baseVersion: 0, data: {}, blobs: [shaA] },
      { zone: 'photos', id: 'x', baseVersion: 1, delete: true },
      { zone: 'photos', id: 'y', baseVersion: 0, data: {}, blobs: [shaA] },
    ]);
    expect(answers.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(await blobRow(shaA)).toEqual({ refcount: 1 });
  });

  it('refuses a record whose blob was never uploaded, or only by another account', async () => {
    const other = await server.signUp();
    await server.ctx.store.db
      .insertInto('account_blobs')
      .values({ account_id: other.account.id, sha256: shaB, size: 1, storage_key: 'k', zone: 'photos', refcount: 0, created_at: 0 })
      .execute();
    const answers = await results([{ zone: 'photos', id: 'p', baseVersion: 0, data: {}, blobs: [shaB] }]);
    expect(answers[0]).toMatchObject({ status: 'invalid', message: expect.stringContaining(`blob ${shaB} not uploaded`) });
  });
});
