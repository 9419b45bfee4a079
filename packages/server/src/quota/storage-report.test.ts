import { ZONES, type BatchWriteResponse, type StorageResponse } from '@nimbus/protocol';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('storage report', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  beforeEach(async () => {
    ({ server, token, accountId } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  const blob = async (sha256: string, size: number, zone: string) => {
    const db = server.ctx.store.db;
    await db.insertInto('account_blobs').values({ account_id: accountId, sha256, size, storage_key: `k/${sha256}`, zone, refcount: 0, created_at: 0 }).execute();
    await db.updateTable('accounts').set({ used_bytes: sql`used_bytes + ${size}` }).where('id', '=', accountId).execute();
  };
  const report = async (as = token) => {
    const res = await server.request({ method: 'GET', url: '/v1/storage', token: as });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<StorageResponse>();
  };

  it('reports quota, use per service, the biggest items and the 90 % warning', async () => {
    await server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 100_000 }).where('id', '=', accountId).execute();
    const big = '1'.repeat(64);
    const shared = '2'.repeat(64);
    await blob(big, 50_000, 'photos');
    await blob(shared, 20_000, 'drive');
    const writes = [
      { zone: 'photos', id: 'beach.jpg', baseVersion: 0, data: { n: 1 }, blobs: [big, shared] },
      { zone: 'drive', id: 'copy.bin', baseVersion: 0, data: { n: 2 }, blobs: [shared] },
      { zone: 'notes', id: 'long', baseVersion: 0, data: { t: 'x'.repeat(3000) } },
      { zone: 'notes', id: 'gone', baseVersion: 0, data: { t: 'x'.repeat(9000) } },
    ];
    const res = await server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes } });
    expect(res.json<BatchWriteResponse>().results.every((r) => r.status === 'ok')).toBe(true);
    await server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes: [{ zone: 'notes', id: 'gone', baseVersion: 1, delete: true }] } });

    const r = await report();
    expect(Object.keys(r.byService).sort()).toEqual([...ZONES].sort());
    expect(r.byService).toMatchObject({ photos: 50_000 + 7, drive: 20_000 + 7, notes: 3008, contacts: 0, keychain: 0, backups: 0 });
    expect(r.usedBytes).toBe(Object.values(r.byService).reduce((a, b) => a + b, 0));
    expect(r).toMatchObject({ quotaBytes: 100_000, reservedBytes: 0, backups: [], prunedBackups: [], warning: false });
    expect(r.largest.map((i) => [i.id, i.bytes, i.blobBytes])).toEqual([
      ['beach.jpg', 70_007, 70_000],
      ['copy.bin', 20_007, 20_000],
      ['long', 3008, 0],
    ]);

    await server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 80_000 }).where('id', '=', accountId).execute();
    expect((await report()).warning).toBe(true);
    // Another account sees only its own.
    const other = await server.signUp();
    expect((await report(other.accessToken))).toMatchObject({ usedBytes: 0, largest: [] });
  });

  it('needs a session', async () => {
    expect((await server.request({ method: 'GET', url: '/v1/storage' })).statusCode).toBe(401);
  });
});
