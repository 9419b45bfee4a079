import { BLOB_PACK_CONTENT_TYPE, BLOB_PACK_MAX_BODY_BYTES, LIMITS, encodeBlobPack, type BlobPackEntry, type BlobPackResponse } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountUsage, blobClient, sha256 } from '../testing/blob-client.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { startTestS3, type TestS3 } from '../testing/s3-test-server.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { sweepUnreferencedBlobs } from './blob-sweep.js';

type Blob = { bytes: Buffer; zone?: string; sha?: string; size?: number };

const entryOf = (blob: Blob) => ({ sha256: blob.sha ?? sha256(blob.bytes), size: blob.size ?? blob.bytes.length, zone: blob.zone ?? 'drive' }) as BlobPackEntry;
const packBody = (blobs: Blob[]): Buffer => Buffer.concat(encodeBlobPack(blobs.map(entryOf), blobs.map((b) => b.bytes)));

function sendPack(server: TestServer, token: string, body: Buffer, contentType = BLOB_PACK_CONTENT_TYPE) {
  return server.request({ method: 'POST', url: '/v1/blobs/pack', token, payload: body, headers: { 'content-type': contentType } });
}

/** Files under the data folder's blobs/ and uploads/ (what a refused pack must not leave behind). */
async function storedFiles(server: TestServer): Promise<string[]> {
  const list = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? list(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
    return nested.flat();
  };
  return [...(await list(join(server.ctx.config.dataDir, 'blobs'))), ...(await list(join(server.ctx.config.dataDir, 'uploads')))];
}

describeEachDatabase('blob packs', (kind) => {
  let server: TestServer;
  let token: string;

  beforeEach(async () => {
    server = await createTestServer(kind, { defaultQuotaBytes: 100_000 });
    token = (await server.signUp()).accessToken;
  });
  afterEach(() => server.close());

  it('stores many blobs in one request, charges them once and serves them', async () => {
    const blobs = Array.from({ length: 20 }, (_, i) => ({ bytes: randomBytes(i * 100), zone: i % 2 ? 'photos' : 'drive' }));
    const answer = await sendPack(server, token, packBody(blobs));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json<BlobPackResponse>().results).toEqual(blobs.map((b) => ({ sha256: sha256(b.bytes), status: 'stored' })));
    const total = blobs.reduce((sum, b) => sum + b.bytes.length, 0);
    expect(await accountUsage(server, token)).toEqual({ used: total, reserved: 0 });
    const client = blobClient(server.request, token);
    for (const blob of blobs) expect((await client.download(sha256(blob.bytes))).rawPayload.equals(blob.bytes)).toBe(true);
    expect(await storedFiles(server)).toHaveLength(20);

    // Sent again with one new blob: the known ones are present and not charged twice.
    const extra = { bytes: randomBytes(500) };
    const again = await sendPack(server, token, packBody([...blobs.slice(0, 3), extra]));
    expect(again.json<BlobPackResponse>().results.map((r) => r.status)).toEqual(['present', 'present', 'present', 'stored']);
    expect(await accountUsage(server, token)).toEqual({ used: total + 500, reserved: 0 });
    const rows = await server.ctx.store.db.selectFrom('account_blobs').select(['sha256', 'zone']).execute();
    expect(rows).toHaveLength(21);
    expect(rows.find((r) => r.sha256 === sha256(blobs[1]!.bytes))?.zone).toBe('photos');
  });

  it('keeps the backup chunks of a pack in one object, each served from its range, the object freed with its last chunk', async () => {
    const chunks = Array.from({ length: 3 }, (_, i) => ({ bytes: randomBytes(3000 + i * 1000), zone: 'backups' }));
    const other = { bytes: randomBytes(700), zone: 'drive' };
    const empty = { bytes: Buffer.alloc(0), zone: 'backups' };
    const answer = await sendPack(server, token, packBody([chunks[0]!, other, chunks[1]!, empty, chunks[2]!]));
    expect(answer.statusCode, answer.body).toBe(200);
    // One object for the three chunks; the drive blob and the empty chunk have their own.
    expect(await storedFiles(server)).toHaveLength(3);
    const client = blobClient(server.request, token);
    for (const blob of [...chunks, other, empty]) expect((await client.download(sha256(blob.bytes))).rawPayload.equals(blob.bytes)).toBe(true);
    const part = await client.download(sha256(chunks[1]!.bytes), { range: 'bytes=10-19' });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(chunks[1]!.bytes.subarray(10, 20))).toBe(true);
    const rows = await server.ctx.store.db.selectFrom('account_blobs').select(['sha256', 'storage_key', 'storage_offset']).execute();
    const packKey = rows.find((r) => r.sha256 === sha256(chunks[0]!.bytes))!.storage_key;
    expect(rows.filter((r) => r.storage_key === packKey).map((r) => r.storage_offset)).toEqual([0, 3000, 7000]);

    // Records hold the first two chunks; the sweeper frees the third: refunded, the shared object stays.
    const write = async (writes: unknown[]) => {
      const res = await server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes } });
      expect(res.statusCode, res.body).toBe(200);
    };
    await write(chunks.slice(0, 2).map((c, i) => ({ zone: 'drive', id: `f${i}`, baseVersion: 0, data: {}, blobs: [sha256(c.bytes)] })));
    const before = (await accountUsage(server, token)).used;
    expect(await sweepUnreferencedBlobs(server.ctx, Date.now() + 1000)).toBe(3);
    expect((await accountUsage(server, token)).used).toBe(before - 5000 - 700);
    expect(await server.ctx.blobs.has(packKey)).toBe(true);
    expect((await client.download(sha256(chunks[2]!.bytes))).statusCode).toBe(404);
    expect((await client.download(sha256(chunks[1]!.bytes))).rawPayload.equals(chunks[1]!.bytes)).toBe(true);
    // The first record goes: its chunk is refunded, the object stays for the second; then the second goes too.
    await write([{ zone: 'drive', id: 'f0', baseVersion: 1, delete: true }]);
    expect(await server.ctx.blobs.has(packKey)).toBe(true);
    expect((await client.download(sha256(chunks[1]!.bytes))).rawPayload.equals(chunks[1]!.bytes)).toBe(true);
    await write([{ zone: 'drive', id: 'f1', baseVersion: 1, delete: true }]);
    expect(await server.ctx.blobs.has(packKey)).toBe(false);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
    expect(await storedFiles(server)).toEqual([]);
  });

  it('packs the new chunks of a pack that also carries known ones, each readable', async () => {
    const [a, b, c, d] = Array.from({ length: 4 }, () => ({ bytes: randomBytes(2000), zone: 'backups' }));
    expect((await sendPack(server, token, packBody([a!, b!]))).statusCode).toBe(200);
    // b is known: c and d no longer follow each other in the body and are copied into their object.
    const again = await sendPack(server, token, packBody([c!, b!, d!]));
    expect(again.json<BlobPackResponse>().results.map((r) => r.status)).toEqual(['stored', 'present', 'stored']);
    expect(await storedFiles(server)).toHaveLength(2);
    const client = blobClient(server.request, token);
    for (const blob of [a!, b!, c!, d!]) expect((await client.download(sha256(blob.bytes))).rawPayload.equals(blob.bytes)).toBe(true);
    expect(await accountUsage(server, token)).toEqual({ used: 8000, reserved: 0 });
  });

  it('a blob uploaded by a pack is known to the resumable path, and the other way round', async () => {
    const client = blobClient(server.request, token);
    const viaUpload = randomBytes(1000);
    await client.upload(viaUpload);
    const viaPack = randomBytes(1000);
    const answer = await sendPack(server, token, packBody([{ bytes: viaUpload }, { bytes: viaPack }]));
    expect(answer.json<BlobPackResponse>().results.map((r) => r.status)).toEqual(['present', 'stored']);
    expect((await client.create(viaPack)).json()).toMatchObject({ complete: true });
    expect((await client.check([sha256(viaPack)])).json()).toEqual({ present: [sha256(viaPack)], missing: [] });
    expect(await accountUsage(server, token)).toEqual({ used: 2000, reserved: 0 });
  });

  it('refuses a pack whose new bytes do not fit with 507 and the figures, storing none of it', async () => {
    await sendPack(server, token, packBody([{ bytes: randomBytes(60_000) }]));
    const refused = await sendPack(server, token, packBody([{ bytes: randomBytes(30_000) }, { bytes: randomBytes(20_000) }]));
    expect(refused.statusCode).toBe(507);
    expect(refused.json().error).toMatchObject({ kind: 'QUOTA_EXCEEDED', usedBytes: 60_000, quotaBytes: 100_000, neededBytes: 50_000 });
    expect(await accountUsage(server, token)).toEqual({ used: 60_000, reserved: 0 });
    expect(await storedFiles(server)).toHaveLength(1);
    // What fits exactly is taken.
    const fits = await sendPack(server, token, packBody([{ bytes: randomBytes(40_000) }]));
    expect(fits.statusCode, fits.body).toBe(200);
    expect(await accountUsage(server, token)).toEqual({ used: 100_000, reserved: 0 });
  });

  it('concurrent packs never overshoot the quota', async () => {
    const packs = Array.from({ length: 4 }, () => packBody([{ bytes: randomBytes(20_000) }, { bytes: randomBytes(20_000) }]));
    const answers = await Promise.all(packs.map((body) => sendPack(server, token, body)));
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 200, 507, 507]);
    expect(await accountUsage(server, token)).toEqual({ used: 80_000, reserved: 0 });
    expect(await storedFiles(server)).toHaveLength(4);
  });

  it('counts reservations of uploads in progress against the pack', async () => {
    const client = blobClient(server.request, token);
    expect((await client.create(randomBytes(90_000))).statusCode).toBe(201);
    const refused = await sendPack(server, token, packBody([{ bytes: randomBytes(20_000) }]));
    expect(refused.statusCode).toBe(507);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 90_000 });
  });

  it('refuses a blob whose bytes do not match its hash, storing nothing of the pack', async () => {
    const good = { bytes: randomBytes(1000) };
    const bad = { bytes: randomBytes(1000), sha: sha256(Buffer.from('something else')) };
    const answer = await sendPack(server, token, packBody([good, bad]));
    expect(answer.statusCode).toBe(409);
    expect(answer.json().error).toMatchObject({ kind: 'UPLOAD_MISMATCH' });
    expect(answer.json().error.message).toContain('blob 1');
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
    expect(await storedFiles(server)).toEqual([]);
    expect((await blobClient(server.request, token).check([sha256(good.bytes)])).json().missing).toEqual([sha256(good.bytes)]);
  });

  it('answers a malformed pack with a 4xx that says what is wrong, and stores nothing', async () => {
    const blob = { bytes: randomBytes(1000) };
    const whole = packBody([blob, { bytes: randomBytes(10) }]);
    const header = JSON.stringify({ blobs: [entryOf(blob)] });
    const framed = (json: string, rest: Buffer = Buffer.alloc(0)): Buffer => {
      const text = Buffer.from(json);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(text.length);
      return Buffer.concat([prefix, text, rest]);
    };
    const cases: [string, Buffer, number, RegExp][] = [
      ['truncated blob bytes', whole.subarray(0, whole.length - 5), 400, /truncated/],
      ['bytes after the last blob', Buffer.concat([whole, Buffer.from('x')]), 400, /follow the last/],
      ['size announced larger than sent', framed(JSON.stringify({ blobs: [{ ...entryOf(blob), size: 1001 }] }), blob.bytes), 400, /truncated/],
      ['size announced smaller than sent', framed(JSON.stringify({ blobs: [{ ...entryOf(blob), size: 999 }] }), blob.bytes), 400, /follow the last/],
      ['cut inside the header', framed(header).subarray(0, 20), 400, /truncated/],
      ['shorter than the length prefix', Buffer.from([0, 0]), 400, /shorter/],
      ['header not JSON', framed('{nope', blob.bytes), 400, /not UTF-8 JSON/],
      ['unknown zone', framed(JSON.stringify({ blobs: [{ ...entryOf(blob), zone: 'music' }] }), blob.bytes), 400, /pack header/],
      ['no blobs', framed(JSON.stringify({ blobs: [] })), 400, /pack header/],
      ['a blob twice', framed(JSON.stringify({ blobs: [entryOf(blob), entryOf(blob)] }), Buffer.concat([blob.bytes, blob.bytes])), 400, /twice/],
      ['a blob over the pack blob limit', framed(JSON.stringify({ blobs: [{ ...entryOf(blob), size: LIMITS.blobPackBlobMaxBytes + 1 }] })), 400, /pack header/],
      ['an unknown field', framed(JSON.stringify({ blobs: [{ ...entryOf(blob), extra: 1 }] }), blob.bytes), 400, /pack header/],
      ['a huge header length', Buffer.from([0xff, 0xff, 0xff, 0xff]), 400, /header is/],
    ];
    for (const [what, body, status, message] of cases) {
      const answer = await sendPack(server, token, body);
      expect(answer.statusCode, `${what}: ${answer.body}`).toBe(status);
      expect(answer.json().error.message, what).toMatch(message);
    }
    const json = await server.request({ method: 'POST', url: '/v1/blobs/pack', token, payload: { blobs: [] } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).toContain(BLOB_PACK_CONTENT_TYPE);
    const empty = await server.request({ method: 'POST', url: '/v1/blobs/pack', token });
    expect(empty.statusCode).toBeGreaterThanOrEqual(400);
    expect(empty.statusCode).toBeLessThan(500);
    expect(await accountUsage(server, token)).toEqual({ used: 0, reserved: 0 });
    expect(await storedFiles(server)).toEqual([]);
  });

  it('refuses a body over the pack limit with 413', async () => {
    const huge = await sendPack(server, token, Buffer.alloc(BLOB_PACK_MAX_BODY_BYTES + 1));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.kind).toBe('PAYLOAD_TOO_LARGE');
    // Announced content over the limit, within the body limit: refused before anything is hashed.
    const many = Array.from({ length: 9 }, () => ({ bytes: Buffer.alloc(0), size: LIMITS.blobPackBlobMaxBytes, sha: sha256(randomBytes(8)) }));
    const over = await sendPack(server, token, packBody(many));
    expect(over.statusCode).toBe(413);
    expect(over.json().error).toMatchObject({ kind: 'PAYLOAD_TOO_LARGE', limit: LIMITS.blobPackMaxBytes });
  });

  it('needs a signed-in device, and keeps accounts apart', async () => {
    const blob = { bytes: randomBytes(2000) };
    const anon = await server.request({ method: 'POST', url: '/v1/blobs/pack', payload: packBody([blob]), headers: { 'content-type': BLOB_PACK_CONTENT_TYPE } });
    expect(anon.statusCode).toBe(401);
    expect((await sendPack(server, 'not.a-token', packBody([blob]))).statusCode).toBe(401);
    expect(await storedFiles(server)).toEqual([]);

    expect((await sendPack(server, token, packBody([blob]))).statusCode).toBe(200);
    const other = (await server.signUp()).accessToken;
    const strangers = blobClient(server.request, other);
    expect((await strangers.download(sha256(blob.bytes))).statusCode).toBe(404);
    expect((await strangers.check([sha256(blob.bytes)])).json().missing).toEqual([sha256(blob.bytes)]);
    // The other account sending the same bytes stores and pays for its own copy.
    const theirs = await sendPack(server, other, packBody([blob]));
    expect(theirs.json<BlobPackResponse>().results[0]?.status).toBe('stored');
    expect(await accountUsage(server, other)).toEqual({ used: 2000, reserved: 0 });
    expect(await accountUsage(server, token)).toEqual({ used: 2000, reserved: 0 });
  });
});

describe('blob packs on the S3 blob store', () => {
  let s3: TestS3;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    s3 = await startTestS3('nimbus-packs');
    server = await createTestServer('sqlite', { s3: s3.config, accessTtlMs: 1e9 });
    token = (await server.signUp()).accessToken;
  });
  afterAll(async () => {
    await server.close();
    await s3.close();
  });

  it('puts each blob as an object and serves it', async () => {
    expect(server.ctx.blobs.kind).toBe('s3');
    const blobs = Array.from({ length: 30 }, (_, i) => ({ bytes: randomBytes(i * 50) }));
    const answer = await sendPack(server, token, packBody(blobs));
    expect(answer.statusCode, answer.body).toBe(200);
    const client = blobClient(server.request, token);
    for (const blob of blobs) expect((await client.download(sha256(blob.bytes))).rawPayload.equals(blob.bytes)).toBe(true);
    const rows = await server.ctx.store.db.selectFrom('account_blobs').select('storage_key').execute();
    for (const row of rows) expect(await server.ctx.blobs.has(row.storage_key)).toBe(true);
  });

  it('puts the backup chunks of a pack in one object and serves each from its range', async () => {
    const chunks = Array.from({ length: 5 }, (_, i) => ({ bytes: randomBytes(1000 + i * 10), zone: 'backups' }));
    expect((await sendPack(server, token, packBody(chunks))).statusCode).toBe(200);
    const keys = await server.ctx.store.db
      .selectFrom('account_blobs')
      .select('storage_key')
      .distinct()
      .where('sha256', 'in', chunks.map((c) => sha256(c.bytes)))
      .execute();
    expect(keys).toHaveLength(1);
    const client = blobClient(server.request, token);
    for (const chunk of chunks) expect((await client.download(sha256(chunk.bytes))).rawPayload.equals(chunk.bytes)).toBe(true);
    const part = await client.download(sha256(chunks[3]!.bytes), { range: 'bytes=1000-' });
    expect(part.rawPayload.equals(chunks[3]!.bytes.subarray(1000))).toBe(true);
  });
});
