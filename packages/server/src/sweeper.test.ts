import type { UploadView } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { storageKeyFor } from './blobs/blob-key.js';
import { sweepOnce } from './sweeper.js';
import { accountUsage, blobClient, sha256 } from './testing/blob-client.js';
import { describeEachDatabase } from './testing/each-database.js';
import { createTestServer, type TestServer } from './testing/test-server.js';

const HOUR = 3_600_000;

describeEachDatabase('sweeper', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  let client: ReturnType<typeof blobClient>;

  beforeEach(async () => {
    server = await createTestServer(kind, { uploadExpiryMs: 24 * HOUR, accessTtlMs: 1000 * HOUR });
    const signedUp = await server.signUp();
    token = signedUp.accessToken;
    accountId = signedUp.account.id;
    client = blobClient(server.request, token);
  });
  afterEach(() => server.close());

  it('sweeps an abandoned upload and releases its reservation, but not an active one', async () => {
    const old = randomBytes(4000);
    const oldId = (await client.create(old)).json<UploadView>().uploadId!;
    await client.put(oldId, 0, old.subarray(0, 1000));
    server.clock.advance(20 * HOUR);
    const fresh = randomBytes(3000);
    const freshId = (await client.create(fresh)).json<UploadView>().uploadId!;
    server.clock.advance(5 * HOUR);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 7000 });

    const result = await sweepOnce(server.ctx, server.clock.now());
    expect(result.uploads).toBe(1);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 3000 });
    expect((await client.view(oldId)).statusCode).toBe(404);
    expect(existsSync(join(server.ctx.config.dataDir, 'uploads', oldId))).toBe(false);
    expect((await client.view(freshId)).statusCode).toBe(200);
    // Sweeping again finds nothing more, and the client simply starts again.
    expect((await sweepOnce(server.ctx, server.clock.now())).uploads).toBe(0);
    expect((await client.create(old)).statusCode).toBe(201);
  });

  it('removes a blob nothing refers to once it is older than the expiry, and refunds it', async () => {
    const bytes = randomBytes(2500);
    await client.upload(bytes);
    const row = await server.ctx.store.db.selectFrom('account_blobs').selectAll().executeTakeFirstOrThrow();
    expect(await server.ctx.blobs.has(row.storage_key)).toBe(true);
    server.clock.advance(HOUR);
    expect((await sweepOnce(server.ctx, server.clock.now())).blobs).toBe(0);
    // A referenced blob stays however old it is.
    const kept = randomBytes(100);
    await client.upload(kept);
    await server.ctx.store.db.updateTable('account_blobs').set({ refcount: 1 }).where('sha256', '=', sha256(kept)).execute();
    server.clock.advance(25 * HOUR);
    expect((await sweepOnce(server.ctx, server.clock.now())).blobs).toBe(1);
    expect(await server.ctx.blobs.has(row.storage_key)).toBe(false);
    expect(await accountUsage(server, token)).toEqual({ used: 100, reserved: 0 });
    expect((await client.check([sha256(bytes), sha256(kept)])).json()).toEqual({ present: [sha256(kept)], missing: [sha256(bytes)] });
  });

  it('deletes staged files no session owns', async () => {
    const stray = join(server.ctx.config.dataDir, 'uploads', 'leftover-from-a-crash');
    await writeFile(stray, 'x');
    const past = (server.clock.now() - 48 * HOUR) / 1000;
    await utimes(stray, past, past);
    expect((await sweepOnce(server.ctx, server.clock.now())).orphanFiles).toBe(1);
    expect(existsSync(stray)).toBe(false);
    expect(storageKeyFor(accountId, sha256(Buffer.from('x')), 'abc')).toContain(accountId);
  });
});
