import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blobClient, sha256 } from '../testing/blob-client.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('blob downloads', (kind) => {
  let server: TestServer;
  let token: string;
  let client: ReturnType<typeof blobClient>;
  const bytes = randomBytes(1000);
  const hash = sha256(bytes);

  beforeAll(async () => {
    server = await createTestServer(kind);
    token = (await server.signUp()).accessToken;
    client = blobClient(server.request, token);
    await client.upload(bytes);
  });
  afterAll(() => server.close());

  it('sends the whole blob with its hash as ETag', async () => {
    const got = await client.download(hash);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers['accept-ranges']).toBe('bytes');
    expect(got.headers['etag']).toBe(`"${hash}"`);
    expect(got.headers['content-length']).toBe('1000');
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect((await client.download(hash, { 'if-none-match': `"${hash}"` })).statusCode).toBe(304);
  });

  it('serves one range: first bytes, middle, open end and suffix', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=100-499', 100, 499],
      ['bytes=990-', 990, 999],
      ['bytes=-10', 990, 999],
      ['bytes=500-5000', 500, 999],
    ];
    for (const [range, start, end] of cases) {
      const got = await client.download(hash, { range });
      expect(got.statusCode, range).toBe(206);
      expect(got.headers['content-range'], range).toBe(`bytes ${start}-${end}/1000`);
      expect(got.headers['content-length'], range).toBe(String(end - start + 1));
      expect(got.rawPayload.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('answers 416 for a range it cannot serve', async () => {
    for (const range of ['bytes=1000-', 'bytes=5-2', 'bytes=abc', 'pages=1-2', 'bytes=-0', 'bytes=0-1,4-5']) {
      const got = await client.download(hash, { range });
      expect(got.statusCode, range).toBe(416);
      expect(got.json().error.kind).toBe('RANGE_NOT_SATISFIABLE');
      expect(got.headers['content-range']).toBe('bytes */1000');
    }
  });

  it('answers HEAD with the headers only', async () => {
    const head = await server.request({ method: 'HEAD', url: `/v1/blobs/${hash}`, token });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.body).toBe('');
    const ranged = await server.request({ method: 'HEAD', url: `/v1/blobs/${hash}`, token, headers: { range: 'bytes=-10' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-range']).toBe('bytes 990-999/1000');
  });

  it('answers 404 for an unknown or malformed hash', async () => {
    expect((await client.download(sha256(Buffer.from('never')))).statusCode).toBe(404);
    expect((await client.download('not-a-hash')).statusCode).toBe(404);
    expect((await client.download('A'.repeat(64))).statusCode).toBe(404);
  });
});
