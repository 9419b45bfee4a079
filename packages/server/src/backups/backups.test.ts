import { BLOB_PACK_CONTENT_TYPE, encodeBlobPack, type BackupManifest, type CommitSnapshotResponse, type SnapshotListResponse, type StorageResponse } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sweepOnce } from '../sweeper.js';
import { accountUsage, blobClient, sha256 } from '../testing/blob-client.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('backups', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  let client: ReturnType<typeof blobClient>;

  beforeEach(async () => {
    server = await createTestServer(kind, { accessTtlMs: 3_600_000_000 });
    const signedUp = await server.signUp();
    token = signedUp.accessToken;
    accountId = signedUp.account.id;
    client = blobClient(server.request, token);
  });
  afterEach(() => server.close());

  /** A manifest with one file per chunk list; its gzip bytes and hash. */
  const manifestOf = (files: Buffer[][]): { bytes: Buffer; sha: string } => {
    const manifest: BackupManifest = {
      version: 1,
      roots: [{ name: 'docs', source: '/home/me/docs' }],
      entries: [
        { type: 'dir', path: 'docs', mode: 0o755, mtimeMs: 1 },
        ...files.map((chunks, i) => ({
          type: 'file' as const,
          path: `docs/f${i}`,
          mode: 0o644,
          mtimeMs: 2,
          size: chunks.reduce((sum, c) => sum + c.length, 0),
          chunks: chunks.map(sha256),
        })),
      ],
    };
    const bytes = gzipSync(JSON.stringify(manifest));
    return { bytes, sha: sha256(bytes) };
  };
  const commit = async (manifest: string[], startedAt = Date.now()) => {
    const answer = await server.request({ method: 'POST', url: '/v1/backups', token, payload: { manifest, host: 'laptop', sources: ['/home/me/docs'], startedAt } });
    expect(answer.statusCode, answer.body).toBe(200);
    return answer.json<CommitSnapshotResponse>();
  };
  const list = async () => (await server.request({ method: 'GET', url: '/v1/backups', token })).json<SnapshotListResponse>();
  const upload = async (...blobs: Buffer[]) => {
    for (const blob of blobs) await client.upload(blob, 1, 'backups');
  };

  it('commits only once every chunk is there, and shows nothing before', async () => {
    const [a, b] = [randomBytes(3000), randomBytes(5000)];
    const m = manifestOf([[a, b]]);
    expect(await commit([m.sha])).toEqual({ missing: [m.sha], pruned: [] });
    await upload(m.bytes, a);
    expect(await commit([m.sha])).toEqual({ missing: [sha256(b)], pruned: [] });
    expect((await list()).snapshots).toEqual([]);
    await upload(b);
    const done = await commit([m.sha]);
    expect(done.snapshot).toMatchObject({ host: 'laptop', fileCount: 1, totalBytes: 8000, storedBytes: 8000 + m.bytes.length, freesBytes: 8000 + m.bytes.length });
    expect((await list()).snapshots.map((s) => s.id)).toEqual([done.snapshot!.id]);
  });

  it('counts shared chunks once, frees only unshared ones on delete, and refunds the quota', async () => {
    const [shared, onlyFirst, onlySecond] = [randomBytes(4000), randomBytes(1000), randomBytes(2000)];
    const m1 = manifestOf([[shared, onlyFirst]]);
    const m2 = manifestOf([[shared], [onlySecond]]);
    await upload(shared, onlyFirst, onlySecond, m1.bytes, m2.bytes);
    const first = (await commit([m1.sha], 1000)).snapshot!;
    const second = (await commit([m2.sha], 2000)).snapshot!;
    const views = new Map((await list()).snapshots.map((s) => [s.id, s]));
    expect(views.get(first.id)?.freesBytes).toBe(1000 + m1.bytes.length);
    expect(views.get(second.id)?.freesBytes).toBe(2000 + m2.bytes.length);
    const before = (await accountUsage(server, token)).used;
    const deleted = await server.request({ method: 'DELETE', url: `/v1/backups/${first.id}`, token });
    expect(deleted.json()).toEqual({ freedBytes: 1000 + m1.bytes.length });
    expect((await accountUsage(server, token)).used).toBe(before - 1000 - m1.bytes.length);
    expect((await client.download(sha256(onlyFirst))).statusCode).toBe(404);
    expect((await client.download(sha256(shared))).statusCode).toBe(200);
    // The shared chunk is now the second snapshot's alone.
    expect((await list()).snapshots[0]?.freesBytes).toBe(6000 + m2.bytes.length);
    expect((await server.request({ method: 'DELETE', url: `/v1/backups/${first.id}`, token })).statusCode).toBe(404);
  });

  it('stores a pack of chunks as one object, kept while any snapshot holds one of them and removed with the last', async () => {
    const [shared, onlyFirst, onlySecond] = [randomBytes(4000), randomBytes(1000), randomBytes(2000)];
    const m1 = manifestOf([[shared, onlyFirst]]);
    const m2 = manifestOf([[shared], [onlySecond]]);
    const sendPack = async (blobs: Buffer[]) => {
      const entries = blobs.map((bytes) => ({ sha256: sha256(bytes), size: bytes.length, zone: 'backups' as const }));
      const payload = Buffer.concat(encodeBlobPack(entries, blobs));
      const answer = await server.request({ method: 'POST', url: '/v1/blobs/pack', token, payload, headers: { 'content-type': BLOB_PACK_CONTENT_TYPE } });
      expect(answer.statusCode, answer.body).toBe(200);
    };
    await sendPack([shared, onlyFirst, m1.bytes]);
    await sendPack([onlySecond, m2.bytes]);
    const keyOf = async (bytes: Buffer) =>
      (await server.ctx.store.db.selectFrom('account_blobs').select('storage_key').where('sha256', '=', sha256(bytes)).executeTakeFirstOrThrow()).storage_key;
    const [firstPack, secondPack] = [await keyOf(shared), await keyOf(onlySecond)];
    expect(await keyOf(onlyFirst)).toBe(firstPack);
    const first = (await commit([m1.sha], 1000)).snapshot!;
    const second = (await commit([m2.sha], 2000)).snapshot!;

    await server.request({ method: 'DELETE', url: `/v1/backups/${first.id}`, token });
    expect(await server.ctx.blobs.has(firstPack)).toBe(true);
    expect((await client.download(sha256(onlyFirst))).statusCode).toBe(404);
    expect((await client.download(sha256(shared))).rawPayload.equals(shared)).toBe(true);
    await server.request({ method: 'DELETE', url: `/v1/backups/${second.id}`, token });
    expect(await server.ctx.blobs.has(firstPack)).toBe(false);
    expect(await server.ctx.blobs.has(secondPack)).toBe(false);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
  });

  it('applies the retention policy after each backup and never removes the newest', async () => {
    const day = 86_400_000;
    const put = await server.request({
      method: 'PUT',
      url: '/v1/backups/policy',
      token,
      payload: { keepLast: 2, keepDaily: null, keepWeekly: null, keepMonthly: null, pruneWhenFull: false },
    });
    expect(put.statusCode, put.body).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const chunk = randomBytes(100);
      const m = manifestOf([[chunk]]);
      await upload(chunk, m.bytes);
      const answer = await commit([m.sha], Date.UTC(2026, 0, 1) + i * day);
      ids.push(answer.snapshot!.id);
      if (i >= 2) expect(answer.pruned.map((p) => [p.id, p.reason])).toEqual([[ids[i - 2], 'policy']]);
    }
    const listed = await list();
    expect(listed.snapshots.map((s) => s.id)).toEqual([ids[3], ids[2]]);
    expect(listed.pruned.map((p) => p.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect(listed.policy.keepLast).toBe(2);
  });

  it('above 90 % prunes the oldest snapshots (never the newest) and records it for the storage report', async () => {
    const chunks = [randomBytes(30_000), randomBytes(30_000), randomBytes(30_000)];
    const ids: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const m = manifestOf([[chunk]]);
      await upload(chunk, m.bytes);
      ids.push((await commit([m.sha], 1000 + i)).snapshot!.id);
    }
    // 90 KB of chunks in a 95 KB account: the sweeper prunes until below 90 %, oldest first.
    await server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 95_000 }).where('id', '=', accountId).execute();
    expect((await sweepOnce(server.ctx, server.clock.now())).backups).toBe(1);
    const report = (await server.request({ method: 'GET', url: '/v1/storage', token })).json<StorageResponse>();
    expect(report.backups.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect(report.prunedBackups).toMatchObject([{ id: ids[0], reason: 'storage_full', createdAt: 1000 }]);
    expect(report.prunedBackups[0]?.freedBytes).toBeGreaterThan(30_000);
    // Far above: everything but the newest goes, and the newest stays even though the account is still full.
    await server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 10_000 }).where('id', '=', accountId).execute();
    expect((await sweepOnce(server.ctx, server.clock.now())).backups).toBe(1);
    expect((await list()).snapshots.map((s) => s.id)).toEqual([ids[2]]);
  });

  it('refuses bad input and hides other accounts', async () => {
    const junk = randomBytes(200);
    await upload(junk);
    const notGzip = await server.request({ method: 'POST', url: '/v1/backups', token, payload: { manifest: [sha256(junk)], host: 'h', sources: [], startedAt: 1 } });
    expect(notGzip.statusCode).toBe(400);
    const wrongShape = gzipSync(JSON.stringify({ version: 1, roots: [], entries: [{ type: 'file', path: 'x' }] }));
    await upload(wrongShape);
    const bad = await server.request({ method: 'POST', url: '/v1/backups', token, payload: { manifest: [sha256(wrongShape)], host: 'h', sources: [], startedAt: 1 } });
    expect(bad.statusCode).toBe(400);
    expect((await server.request({ method: 'POST', url: '/v1/backups', token, payload: { manifest: [] } })).statusCode).toBe(400);
    expect((await server.request({ method: 'PUT', url: '/v1/backups/policy', token, payload: { keepLast: -1 } })).statusCode).toBe(400);
    expect((await server.request({ method: 'GET', url: '/v1/backups' })).statusCode).toBe(401);

    const chunk = randomBytes(100);
    const m = manifestOf([[chunk]]);
    await upload(chunk, m.bytes);
    const id = (await commit([m.sha])).snapshot!.id;
    const other = (await server.signUp()).accessToken;
    expect((await server.request({ method: 'GET', url: `/v1/backups/${id}`, token: other })).statusCode).toBe(404);
    expect((await server.request({ method: 'DELETE', url: `/v1/backups/${id}`, token: other })).statusCode).toBe(404);
    expect((await server.request({ method: 'GET', url: '/v1/backups', token: other })).json<SnapshotListResponse>().snapshots).toEqual([]);
    // Another account cannot commit a manifest it has not uploaded itself.
    const stolen = await server.request({ method: 'POST', url: '/v1/backups', token: other, payload: { manifest: [m.sha], host: 'h', sources: [], startedAt: 1 } });
    expect(stolen.json<CommitSnapshotResponse>().missing).toEqual([m.sha]);
  });
});
