import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFileRange } from './file-range-put.js';

describe('sendFileRange', () => {
  let dir: string;
  let file: string;
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-range-put-'));
    file = join(dir, 'data.bin');
    await writeFile(file, bytes);
    server = http.createServer((req, res) => {
      if (req.url === '/refuse') {
        // Answers before reading the body, as the API does for a wrong offset.
        res.writeHead(409, { connection: 'close' }).end('{"refused":true}');
        return;
      }
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      req.on('end', () => res.writeHead(200).end(JSON.stringify({ length, sha256: hash.digest('hex'), offset: req.headers['x-offset'] })));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends exactly bytes [start, end) of the file and reports them as they go', async () => {
    const start = 1000;
    const end = bytes.length - 5;
    let reported = 0;
    const answer = await sendFileRange({ url: `${url}/put`, method: 'PUT', headers: { 'x-offset': String(start) }, file, start, end, onBytes: (n) => (reported += n) });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { length: number; sha256: string; offset: string };
    expect(body).toEqual({ length: end - start, sha256: createHash('sha256').update(bytes.subarray(start, end)).digest('hex'), offset: '1000' });
    expect(reported).toBe(end - start);
  });

  it('an empty range is an empty body', async () => {
    const answer = await sendFileRange({ url: `${url}/put`, method: 'PUT', headers: {}, file, start: 5, end: 5 });
    expect(JSON.parse(answer.text)).toMatchObject({ length: 0 });
  });

  it('a server that answers before the whole body was sent: its answer when it was read in time, else a connection error', async () => {
    // The answer and the broken pipe race (the server closes with the body unread); neither may hang.
    const outcome = await sendFileRange({ url: `${url}/refuse`, method: 'PUT', headers: {}, file, start: 0, end: bytes.length }).catch((error: NodeJS.ErrnoException) => error.code);
    expect([{ status: 409, text: '{"refused":true}' }, 'EPIPE', 'ECONNRESET']).toContainEqual(outcome);
  });

  it('an aborted send rejects', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sendFileRange({ url: `${url}/put`, method: 'PUT', headers: {}, file, start: 0, end: bytes.length, signal: controller.signal })).rejects.toThrow();
  });

  it('a server that is not there rejects with the system error', async () => {
    const closed = http.createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    await expect(sendFileRange({ url: `http://127.0.0.1:${port}/put`, method: 'PUT', headers: {}, file, start: 0, end: 10 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
