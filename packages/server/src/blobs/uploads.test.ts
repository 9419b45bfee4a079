import { LIMITS, type UploadView } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { accountUsage, blobClient, sha256 } from '../testing/blob-client.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { uploadService } from './upload-service.js';

describeEachDatabase('resumable uploads', (kind) => {
  let server: TestServer;
  let token: string;
  let email: string;
  let client: ReturnType<typeof blobClient>;

  beforeEach(async () => {
    server = await createTestServer(kind, { defaultQuotaBytes: 100_000 });
    const signedUp = await server.signUp();
    token = signedUp.accessToken;
    email = signedUp.account.email;
    client = blobClient(server.request, token);
  });
  afterEach(() => server.close());

  it('takes a blob in several PUTs, verifies it and charges it once', async () => {
    const bytes = randomBytes(10_000);
    const created = await client.create(bytes, 'photos');
    expect(created.statusCode).toBe(201);
    const view = created.json<UploadView>();
    expect(view).toMatchObject({ sha256: sha256(bytes), size: 10_000, offset: 0, complete: false });
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 10_000 });
    const id = view.uploadId!;
    for (const [start, end] of [[0, 3000], [3000, 3001], [3001, 10_000]] as const) {
      const put = await client.put(id, start, bytes.subarray(start, end));
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toEqual({ offset: end });
    }
    expect((await client.view(id)).json()).toMatchObject({ uploadId: id, offset: 10_000, complete: false });
    const fromDisk = vi.spyOn(uploadService(server.ctx).staging, 'hashFile');
    const done = await client.complete(id);
    // The hash was computed while the bytes arrived, not by reading the file again.
    expect(fromDisk).not.toHaveBeenCalled();
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toEqual({ sha256: sha256(bytes), size: 10_000, offset: 10_000, complete: true });
    expect(await accountUsage(server, token)).toEqual({ used: 10_000, reserved: 0 });
    expect(existsSync(join(server.ctx.config.dataDir, 'uploads', id))).toBe(false);
    expect((await client.view(id)).statusCode).toBe(404);
    const got = await client.download(sha256(bytes));
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    const check = await client.check([sha256(bytes), sha256(Buffer.from('nope')), sha256(bytes)]);
    expect(check.json()).toEqual({ present: [sha256(bytes)], missing: [sha256(Buffer.from('nope'))] });
  });

  it('answers a check of the documented maximum number of hashes', async () => {
    const hashes = Array.from({ length: LIMITS.blobCheckMaxHashes }, (_, i) => sha256(Buffer.from(`blob ${i}`)));
    const check = await client.check(hashes);
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json<{ missing: string[] }>().missing).toHaveLength(LIMITS.blobCheckMaxHashes);
  });

  it('refuses a PUT at the wrong offset with the right one, and bytes past the announced size', async () => {
    const bytes = randomBytes(1000);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    await client.put(id, 0, bytes.subarray(0, 400));
    const wrong = await client.put(id, 100, bytes.subarray(100, 200));
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error).toMatchObject({ kind: 'UPLOAD_MISMATCH', offset: 400 });
    expect(wrong.json().error.message).toContain('400');
    const tooLong = await client.put(id, 400, Buffer.concat([bytes.subarray(400), Buffer.from('extra')]));
    expect(tooLong.statusCode).toBe(409);
    expect((await client.view(id)).json().offset).toBe(400);
    const early = await client.complete(id);
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({ kind: 'UPLOAD_MISMATCH', offset: 400 });
    const noHeader = await server.request({ method: 'PUT', url: `/v1/uploads/${id}`, token, payload: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
    expect(noHeader.statusCode).toBe(400);
    const badHeader = await server.request({ method: 'PUT', url: `/v1/uploads/${id}`, token, payload: Buffer.from('x'), headers: { 'upload-offset': '-1' } });
    expect(badHeader.statusCode).toBe(400);
  });

  it('rejects bytes that do not hash to the announced SHA-256, charges nothing, and lets the upload start over', async () => {
    const bytes = randomBytes(2000);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    const corrupt = Buffer.from(bytes);
    corrupt[1234] ^= 0xff;
    await client.put(id, 0, corrupt);
    const done = await client.complete(id);
    expect(done.statusCode).toBe(409);
    expect(done.json().error).toMatchObject({ kind: 'UPLOAD_MISMATCH', offset: 0 });
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 2000 });
    expect((await client.view(id)).json().offset).toBe(0);
    expect((await client.check([sha256(bytes)])).json().present).toEqual([]);
    await client.put(id, 0, bytes);
    expect((await client.complete(id)).statusCode).toBe(200);
    expect(await accountUsage(server, token)).toEqual({ used: 2000, reserved: 0 });
  });

  it('never uploads a blob twice: a second upload of the same bytes is complete at once', async () => {
    const bytes = randomBytes(5000);
    await client.upload(bytes, 2);
    const again = await client.create(bytes, 'drive');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ sha256: sha256(bytes), size: 5000, offset: 5000, complete: true });
    expect(await accountUsage(server, token)).toEqual({ used: 5000, reserved: 0 });
  });

  it('two devices uploading the same blob at once end with one blob, charged once', async () => {
    const bytes = randomBytes(8000);
    const second = await server.request({ method: 'POST', url: '/v1/sessions', payload: { email, password: 'correct horse battery', deviceName: 'phone' } });
    const device2 = blobClient(server.request, second.json<{ accessToken: string }>().accessToken);
    const [a, b] = await Promise.all([client.create(bytes), device2.create(bytes)]);
    const idA = a.json<UploadView>().uploadId!;
    expect(b.json<UploadView>().uploadId).toBe(idA);
    const results = await Promise.all([client.upload(bytes, 3).catch(() => 'lost'), device2.upload(bytes, 2).catch(() => 'lost')]);
    if (!results.some((r) => typeof r === 'object' && r.complete)) {
      // Both can lose: each PUT refused because the other moved the offset (this test's client gives up at once,
      // where a device's asks for the offset again). Asking again goes on from where the upload is.
      expect(await device2.upload(bytes)).toMatchObject({ complete: true });
    }
    // Whoever lost the race asks again and is told the blob is there.
    expect((await device2.create(bytes)).json()).toMatchObject({ complete: true });
    expect(await accountUsage(server, token)).toEqual({ used: 8000, reserved: 0 });
    const rows = await server.ctx.store.db.selectFrom('account_blobs').selectAll().where('sha256', '=', sha256(bytes)).execute();
    expect(rows).toHaveLength(1);
  });

  it('never overshoots a small quota with many concurrent uploads', async () => {
    const blobs = Array.from({ length: 12 }, () => randomBytes(30_000));
    const answers = await Promise.all(blobs.map((bytes) => client.create(bytes)));
    const accepted = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode === 507);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(9);
    expect(refused[0]!.json().error).toMatchObject({ kind: 'QUOTA_EXCEEDED', quotaBytes: 100_000, neededBytes: 30_000, usedBytes: 90_000 });
    const done = await Promise.all(
      answers.map(async (answer, i) => {
        if (answer.statusCode !== 201) return 0;
        const id = answer.json<UploadView>().uploadId!;
        await client.put(id, 0, blobs[i]!);
        return (await client.complete(id)).statusCode;
      }),
    );
    expect(done.filter((s) => s === 200)).toHaveLength(3);
    expect(await accountUsage(server, token)).toEqual({ used: 90_000, reserved: 0 });
    expect((await client.create(randomBytes(20_000))).statusCode).toBe(507);
  });

  it('cancels an upload and gives the reservation back', async () => {
    const bytes = randomBytes(3000);
    const id = (await client.create(bytes)).json<UploadView>().uploadId!;
    await client.put(id, 0, bytes.subarray(0, 1000));
    expect((await client.cancel(id)).statusCode).toBe(204);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
    expect((await client.view(id)).statusCode).toBe(404);
    expect((await client.cancel(id)).statusCode).toBe(404);
    expect(existsSync(join(server.ctx.config.dataDir, 'uploads', id))).toBe(false);
  });

  it("never shows one account's uploads or blobs to another", async () => {
    const bytes = randomBytes(1500);
    await client.upload(bytes);
    const pending = randomBytes(1500);
    const id = (await client.create(pending)).json<UploadView>().uploadId!;
    const strangerToken = (await server.signUp()).accessToken;
    const stranger = blobClient(server.request, strangerToken);
    expect((await stranger.download(sha256(bytes))).statusCode).toBe(404);
    expect((await server.request({ method: 'HEAD', url: `/v1/blobs/${sha256(bytes)}`, token: strangerToken })).statusCode).toBe(404);
    expect((await stranger.check([sha256(bytes)])).json()).toEqual({ present: [], missing: [sha256(bytes)] });
    expect((await stranger.view(id)).statusCode).toBe(404);
    expect((await stranger.put(id, 0, pending)).statusCode).toBe(404);
    expect((await stranger.complete(id)).statusCode).toBe(404);
    expect((await stranger.cancel(id)).statusCode).toBe(404);
    expect((await client.view(id)).json().offset).toBe(0);
    // The stranger uploading the same bytes pays for its own copy.
    expect((await stranger.create(bytes)).statusCode).toBe(201);
  });

  it('asks who is calling on every route', async () => {
    const anon = blobClient(server.request, '');
    for (const answer of [await anon.check([sha256(Buffer.from('a'))]), await anon.create(Buffer.from('a')), await anon.view('x'), await anon.put('x', 0, Buffer.from('a')), await anon.complete('x'), await anon.cancel('x'), await anon.download(sha256(Buffer.from('a')))]) {
      expect(answer.statusCode).toBe(401);
    }
  });

  it('takes an empty blob', async () => {
    const view = await client.upload(Buffer.alloc(0));
    expect(view).toMatchObject({ size: 0, complete: true });
    expect((await client.download(sha256(Buffer.alloc(0)))).rawPayload.length).toBe(0);
  });
});
