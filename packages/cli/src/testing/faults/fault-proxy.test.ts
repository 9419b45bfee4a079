// FaultProxy's modes as real clients meet them (node:net, node:http, fetch), in front of a plain HTTP server.
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_LOGIN_PATH } from './fault-answers.js';
import { FaultProxy } from './fault-proxy.js';

const BIG = Buffer.alloc(256 * 1024, 'x');

/** The innermost `code` of a fetch error (undici wraps the system error in `cause`). */
function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a failure'),
    (error: unknown) => error,
  );
}

/** Sends one raw request and collects what comes back until the connection ends or fails. */
function rawGet(port: number, path: string): Promise<{ bytes: number; text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = (error?: NodeJS.ErrnoException): void => {
      const all = Buffer.concat(chunks);
      resolve({ bytes: all.length, text: all.toString('latin1'), ...(error?.code ? { error: error.code } : {}) });
    };
    socket.once('error', done);
    socket.once('end', () => done());
    socket.write(`GET ${path} HTTP/1.1\r\nHost: nimbus\r\nConnection: close\r\n\r\n`);
  });
}

describe('FaultProxy in front of an HTTP server', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: FaultProxy;

  beforeAll(async () => {
    upstream = http.createServer((request, response) => {
      request.resume();
      if (request.url === '/big') {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
        response.end(BIG);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ probe: 'nimbus-probe', path: request.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    proxy = await FaultProxy.start({ target: `http://127.0.0.1:${upstreamPort}` });
  });
  afterEach(async () => {
    await proxy.setMode('pass');
    proxy.resetStats();
  });
  afterAll(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('passes requests through and counts connections and bytes', async () => {
    const response = await fetch(proxy.url('http', '/v1/probe'));
    expect(await response.json()).toEqual({ probe: 'nimbus-probe', path: '/v1/probe' });
    expect(proxy.stats.byMode.pass).toBeGreaterThanOrEqual(1);
    expect(proxy.stats.bytesToServer).toBeGreaterThan(0);
    expect(proxy.stats.bytesToClient).toBeGreaterThan(0);
  });

  it('refuses connections (ECONNREFUSED), then serves again on the same port', async () => {
    const port = proxy.port;
    await proxy.setMode('refuse');
    expect(codeOf(await failureOf(fetch(proxy.url('http', '/v1/probe'))))).toBe('ECONNREFUSED');
    expect((await rawGet(port, '/v1/probe')).error).toBe('ECONNREFUSED');
    await proxy.setMode('pass');
    expect(proxy.port).toBe(port);
    expect((await fetch(proxy.url('http', '/v1/probe'))).status).toBe(200);
  });

  it('black-holes: accepts, never answers, so the client times out', async () => {
    await proxy.setMode('blackhole');
    const error = await failureOf(fetch(proxy.url('http', '/v1/probe'), { signal: AbortSignal.timeout(300) }));
    expect((error as Error).name).toBe('TimeoutError');
    expect(proxy.stats.byMode.blackhole).toBe(1);
    expect(proxy.stats.bytesToServer).toBe(0);
  });

  it('resets mid-transfer: the client reads some bytes, then ECONNRESET', async () => {
    await proxy.setMode({ kind: 'reset', afterBytes: 4096 });
    const seen = await rawGet(proxy.port, '/big');
    expect(seen.error).toBe('ECONNRESET');
    expect(seen.bytes).toBeLessThanOrEqual(4096);
    expect(seen.text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(proxy.stats.resets).toBe(1);

    const viaFetch = await fetch(proxy.url('http', '/big'));
    expect(viaFetch.status).toBe(200);
    // undici reports the cut body as ECONNRESET, or as its own socket error when it saw the end first.
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(codeOf(await failureOf(viaFetch.arrayBuffer())));
  });

  it('slows the link down but delivers every byte', async () => {
    await proxy.setMode({ kind: 'slow', bytesPerSecond: 4 * 1024 * 1024 });
    const body = Buffer.from(await (await fetch(proxy.url('http', '/big'))).arrayBuffer());
    expect(body.equals(BIG)).toBe(true);
    expect(proxy.stats.byMode.slow).toBe(1);
  });

  it('acts as a captive portal on every path: a redirect to its sign-in page, or the page itself', async () => {
    await proxy.setMode('portal');
    const probe = await fetch(proxy.url('http', '/v1/probe'), { redirect: 'manual' });
    expect(probe.status).toBe(302);
    expect(probe.headers.get('location')).toBe(proxy.url('http', PORTAL_LOGIN_PATH));
    const followed = await fetch(proxy.url('http', '/v1/records?zone=notes'), { method: 'POST', body: '{}' });
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toMatch(/text\/html/);
    expect(await followed.text()).toContain('Guest Wi-Fi');

    await proxy.setMode({ kind: 'portal', answer: 'page' });
    const page = await fetch(proxy.url('http', '/v1/probe'), { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form');

    await proxy.setMode({ kind: 'portal', portalUrl: 'http://wifi.example/login?next=1' });
    const custom = await fetch(proxy.url('http', '/anything'), { redirect: 'manual' });
    expect(custom.headers.get('location')).toBe('http://wifi.example/login?next=1');
    expect(proxy.stats.bytesToServer).toBe(0);
    expect(proxy.stats.answers).toBeGreaterThanOrEqual(4);
  });

  it('drops pooled keep-alive connections when a fault starts, so the next request meets it', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: proxy.port, path, agent }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    try {
      expect((await get('/v1/probe')).status).toBe(200);
      expect(proxy.openConnections()).toBe(1); // the pooled connection
      await proxy.setMode({ kind: 'portal', answer: 'page' });
      expect(proxy.openConnections()).toBe(0);
      // Once the client has seen its pooled socket close, its next request opens a new one: into the portal.
      await expect.poll(() => Object.keys(agent.freeSockets).length).toBe(0);
      const answer = await get('/v1/probe');
      expect(answer.body).toContain('Guest Wi-Fi');
      expect(proxy.stats.connections).toBe(2);
    } finally {
      agent.destroy();
    }
  });

  it('answers error statuses with Retry-After: a Nimbus body, or a load balancer\'s plain text with an HTTP date', async () => {
    await proxy.setMode({ kind: 'status', status: 503, retryAfter: 7 });
    const busy = await fetch(proxy.url('http', '/v1/changes'));
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect(await busy.json()).toMatchObject({ error: { kind: 'SERVER_UNAVAILABLE', retryAfterSeconds: 7 } });

    const at = new Date(Date.now() + 120_000);
    await proxy.setMode({ kind: 'status', status: 429, retryAfter: at, body: 'plain' });
    const limited = await fetch(proxy.url('http', '/v1/records'), { method: 'POST', body: '{}' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(at.toUTCString());
    expect(limited.headers.get('content-type')).toMatch(/text\/plain/);

    await proxy.setMode({ kind: 'status', status: 429, retryAfter: 3 });
    expect(await (await fetch(proxy.url('http', '/'))).json()).toMatchObject({ error: { kind: 'RATE_LIMITED', retryAfterSeconds: 3 } });

    await proxy.setMode('pass'); // the fault removed: the real server answers again
    expect((await fetch(proxy.url('http', '/v1/probe'))).status).toBe(200);
  });

  it('follows a new target, and cuts the client off when the target is gone', async () => {
    const gone = net.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const gonePort = (gone.address() as net.AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    proxy.setTarget({ host: '127.0.0.1', port: gonePort });
    try {
      expect((await rawGet(proxy.port, '/v1/probe')).error).toBe('ECONNRESET');
    } finally {
      proxy.setTarget({ host: '127.0.0.1', port: upstreamPort });
    }
    expect((await fetch(proxy.url('http', '/v1/probe'))).status).toBe(200);
  });
});
