// Resuming uploads over a real socket that drops mid-body, and across a server restart.
import { HEADERS, PROTOCOL_VERSION, UPLOAD_OFFSET_HEADER, type UploadView } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { buildApp } from '../app.js';
import { createAuthGuard } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { openMetadataStore } from '../db/metadata-store.js';
import { createMetrics } from '../metrics.js';
import { accountUsage, blobClient, sha256 } from '../testing/blob-client.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { openBlobStore } from './open-blob-store.js';
import { uploadService } from './upload-service.js';

const MiB = 1024 * 1024;

/** PUTs `bytes` from `offset` announcing the full length, but hangs up after `sendBytes`. */
async function putThenDrop(port: number, token: string, id: string, offset: number, bytes: Buffer, sendBytes: number, server: TestServer): Promise<void> {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: `/v1/uploads/${id}`,
    headers: {
      authorization: `Bearer ${token}`,
      [HEADERS.protocol]: String(PROTOCOL_VERSION),
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length - offset),
      [UPLOAD_OFFSET_HEADER]: String(offset),
    },
  });
  req.on('error', () => undefined);
  req.write(bytes.subarray(offset, offset + sendBytes));
  const client = blobClient(server.request, token);
  // Wait until the server has put some of it on disk, then cut the connection.
  for (let i = 0; i < 500 && (await client.view(id)).json<UploadView>().offset <= offset; i++) await new Promise((r) => setTimeout(r, 10));
  req.destroy();
}

/** What a client does: ask where the server is, send the rest, retry while a dying transfer settles. */
async function resume(client: ReturnType<typeof blobClient>, id: string, bytes: Buffer): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { offset } = (await client.view(id)).json<UploadView>();
    const put = await client.put(id, offset, bytes.subarray(offset));
    if (put.statusCode === 200) return offset;
    expect(put.statusCode, put.body).toBe(409);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('could not resume');
}

describeEachDatabase('upload resume', (kind) => {
  let server: TestServer;
  let token: string;

  beforeEach(async () => {
    server = await createTestServer(kind);
    token = (await server.signUp()).accessToken;
  });
  afterEach(() => server.close());

  it('keeps what arrived before the connection dropped and continues from there', async () => {
    const bytes = randomBytes(6 * MiB);
    const client = blobClient(server.request, token);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.app.server.address() as AddressInfo).port;
    await putThenDrop(port, token, id, 0, bytes, 3 * MiB, server);
    const resumedAt = await resume(client, id, bytes);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(bytes.length);
    const done = await client.complete(id);
    expect(done.statusCode, done.body).toBe(200);
    expect((await client.download(sha256(bytes))).rawPayload.equals(bytes)).toBe(true);
    expect(await accountUsage(server, token)).toEqual({ used: bytes.length, reserved: 0 });
  });

  it('answers a PUT at the wrong offset at once and closes instead of reading the whole body', async () => {
    const bytes = randomBytes(64 * MiB);
    const client = blobClient(server.request, token);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.app.server.address() as AddressInfo).port;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `/v1/uploads/${id}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length - 5), [UPLOAD_OFFSET_HEADER]: '5' },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(bytes.subarray(0, MiB)); // never sends the rest
    });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.body).error).toMatchObject({ kind: 'UPLOAD_MISMATCH', offset: 0 });
  });

  it('survives a server restart: the upload continues and verifies against the bytes on disk', async () => {
    const bytes = randomBytes(3 * MiB + 17);
    const before = blobClient(server.request, token);
    const id = (await before.create(bytes)).json<UploadView>().uploadId!;
    await before.put(id, 0, bytes.subarray(0, 2 * MiB));
    await server.app.close();

    // A new process: new stores, new app, same data folder and database.
    const { config } = server.ctx;
    const store = await openMetadataStore({ location: config.db });
    const blobs = await openBlobStore(config);
    const ctx: ServerContext = { config, store, blobs, clock: server.clock, metrics: createMetrics(), requireAuth: createAuthGuard(store, server.clock), notifier: server.ctx.notifier };
    const app = await buildApp(ctx);
    try {
      const after = blobClient(
        (options) => {
          const { token: bearer, headers, ...rest } = options;
          return app.inject({ ...rest, headers: { [HEADERS.protocol]: String(PROTOCOL_VERSION), authorization: `Bearer ${bearer ?? ''}`, ...headers } });
        },
        token,
      );
      expect((await after.create(bytes)).json()).toMatchObject({ uploadId: id, offset: 2 * MiB, complete: false });
      await after.put(id, 2 * MiB, bytes.subarray(2 * MiB));
      const fromDisk = vi.spyOn(uploadService(ctx).staging, 'hashFile');
      const done = await after.complete(id);
      expect(done.statusCode, done.body).toBe(200);
      expect(fromDisk).toHaveBeenCalledOnce();
      expect((await after.download(sha256(bytes), { range: 'bytes=-17' })).rawPayload.equals(bytes.subarray(-17))).toBe(true);
      expect(await accountUsage({ ctx }, token)).toEqual({ used: bytes.length, reserved: 0 });
    } finally {
      await app.close();
      await blobs.close();
      await store.close();
    }
  });

  it('a restart after corrupt bytes still catches the mismatch', async () => {
    const bytes = randomBytes(100_000);
    const client = blobClient(server.request, token);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    const corrupt = Buffer.from(bytes);
    corrupt[99_999] ^= 1;
    await client.put(id, 0, corrupt.subarray(0, 50_000));
    // Forget the in-memory hash, as a restart would.
    uploadService(server.ctx).transfers.forget(id);
    await client.put(id, 50_000, corrupt.subarray(50_000));
    expect((await client.complete(id)).statusCode).toBe(409);
    await client.put(id, 0, bytes);
    expect((await client.complete(id)).statusCode).toBe(200);
  });
});
