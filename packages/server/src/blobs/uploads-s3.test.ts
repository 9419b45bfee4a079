// The upload → download → sweep path with the S3 adapter behind the server (s3rver stands in for S3).
import type { UploadView } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOnce } from '../sweeper.js';
import { accountUsage, blobClient, sha256 } from '../testing/blob-client.js';
import { startTestS3, type TestS3 } from '../testing/s3-test-server.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

describe('uploads on the S3 blob store', () => {
  let s3: TestS3;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    s3 = await startTestS3('nimbus-uploads');
    server = await createTestServer('sqlite', { s3: s3.config, accessTtlMs: 1e9 });
    token = (await server.signUp()).accessToken;
  });
  afterAll(async () => {
    await server.close();
    await s3.close();
  });

  it('uploads in parts, dedupes, serves ranges and sweeps unreferenced blobs', async () => {
    expect(server.ctx.blobs.kind).toBe('s3');
    const client = blobClient(server.request, token);
    const bytes = randomBytes(300_000);
    expect(await client.upload(bytes, 4)).toMatchObject({ complete: true, size: 300_000 });
    expect((await client.create(bytes)).json<UploadView>()).toMatchObject({ complete: true });
    const whole = await client.download(sha256(bytes));
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    const first = await client.download(sha256(bytes), { range: 'bytes=0-0' });
    expect(first.statusCode).toBe(206);
    expect(first.rawPayload.equals(bytes.subarray(0, 1))).toBe(true);
    const tail = await client.download(sha256(bytes), { range: 'bytes=-10' });
    expect(tail.rawPayload.equals(bytes.subarray(-10))).toBe(true);

    const row = await server.ctx.store.db.selectFrom('account_blobs').selectAll().executeTakeFirstOrThrow();
    expect(await server.ctx.blobs.has(row.storage_key)).toBe(true);
    server.clock.advance(server.ctx.config.uploadExpiryMs + 1);
    expect((await sweepOnce(server.ctx, server.clock.now())).blobs).toBe(1);
    expect(await server.ctx.blobs.has(row.storage_key)).toBe(false);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
  });
});
