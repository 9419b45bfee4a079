// The node:http transport against real loopback servers: deadlines, the caller's abort, pooled connections, DNS lookup.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropHttpConnections, nodeHttpSend } from './node-http-send.js';
import { SLOWEST_UPLOAD_BYTES_PER_SECOND } from './timed-fetch.js';

const get = (url: string, signal?: AbortSignal) => ({ url, method: 'GET', headers: {}, signal });

describe('nodeHttpSend', () => {
  let slowBody: http.Server;
  let blackhole: net.Server;
  let counted: http.Server;
  let late: http.Server;
  let cut: http.Server;
  let connections = 0;
  const slowSockets: net.Socket[] = [];
  const seen: http.IncomingHttpHeaders[] = [];
  const held: net.Socket[] = [];
  const url = (server: net.Server, host = '127.0.0.1'): string => `http://${host}:${(server.address() as AddressInfo).port}/`;

  beforeAll(async () => {
    // Headers at once, the body 300 ms later: longer than the deadline, which only covers the wait for an answer.
    slowBody = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first ');
      setTimeout(() => response.end('last'), 300);
    });
    slowBody.on('connection', (socket) => void slowSockets.push(socket));
    blackhole = net.createServer((socket) => void held.push(socket.resume()));
    counted = http.createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    counted.on('connection', () => connections++);
    // Answers 300 ms after the request arrives: later than a bare 100 ms deadline.
    late = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => setTimeout(() => response.end('stored'), 300));
    });
    // Promises 100 bytes, sends 5, then the connection drops.
    cut = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('hello', () => response.socket?.destroy());
    });
    for (const server of [slowBody, blackhole, counted, late, cut]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    dropHttpConnections();
    for (const socket of held) socket.destroy();
    for (const server of [slowBody, counted, late, cut]) server.closeAllConnections();
    for (const server of [slowBody, blackhole, counted, late, cut]) await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a black hole with a TimeoutError, as timedFetch does', async () => {
    const error = await nodeHttpSend({ timeoutMs: 200 })(get(url(blackhole))).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it("rejects with the caller's own abort reason, before and after the answer came", async () => {
    const stop = new AbortController();
    const pending = nodeHttpSend({ timeoutMs: 10_000 })(get(url(blackhole), stop.signal));
    const reason = new Error('pass cancelled');
    stop.abort(reason);
    await expect(pending).rejects.toBe(reason);

    const later = new AbortController();
    const answer = await nodeHttpSend({ timeoutMs: 10_000 })(get(url(slowBody), later.signal));
    const text = answer.text();
    later.abort(reason);
    await expect(text).rejects.toBe(reason);
  });

  it('does not cut an answer whose body is still coming after the deadline', async () => {
    const answer = await nodeHttpSend({ timeoutMs: 100 })(get(url(slowBody)));
    expect(answer.status).toBe(200);
    expect(answer.header('Content-Type')).toBe('text/plain');
    expect(await answer.text()).toBe('first last');
  });

  it('gives a request body time to go up: the deadline grows with its size', async () => {
    const send = nodeHttpSend({ timeoutMs: 100 });
    const body = Buffer.alloc(SLOWEST_UPLOAD_BYTES_PER_SECOND); // one second's worth at the slowest rate
    expect(await (await send({ url: url(late), method: 'POST', headers: {}, body })).text()).toBe('stored');
    await expect(send({ url: url(late), method: 'POST', headers: {}, body: 'x' })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('fails a body whose connection drops with a system error code, not a short answer', async () => {
    const answer = await nodeHttpSend({ timeoutMs: 1_000 })(get(url(cut)));
    await expect(answer.text()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('sends the body with its length and the user agent fetch sent', async () => {
    seen.length = 0;
    await (await nodeHttpSend()({ url: url(counted), method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' })).text();
    expect(seen[0]).toMatchObject({ 'content-type': 'application/json', 'content-length': '10', 'user-agent': 'node' });
  });

  it("reuses one connection for a pass's calls; reset network state drops it and the next call opens a new one", async () => {
    dropHttpConnections();
    const send = nodeHttpSend({ timeoutMs: 1_000 });
    const before = connections;
    for (let call = 0; call < 3; call++) await (await send(get(url(counted)))).text();
    expect(connections).toBe(before + 1);
    dropHttpConnections();
    await (await send(get(url(counted)))).text();
    expect(connections).toBe(before + 2);
  });

  it("lets a request in flight finish when the pool is dropped, then closes its connection", async () => {
    const send = nodeHttpSend({ timeoutMs: 1_000 });
    const answer = send(get(url(slowBody)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    dropHttpConnections();
    const response = await answer;
    expect(await response.text()).toBe('first last');
    // Closed at once, not left in a pool until its idle time (4 s) runs out: waiting 1 s at most tells them apart.
    const served = slowSockets.at(-1);
    if (served && !served.destroyed) await new Promise((resolve) => (served.once('close', resolve), setTimeout(resolve, 1_000)));
    expect(served?.destroyed).toBe(true);
  });

  it('resolves the host with the lookup it is given (the user\'s DNS servers)', async () => {
    const asked: string[] = [];
    const lookup: LookupFunction = (host, options, callback) => {
      asked.push(host);
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    };
    dropHttpConnections();
    const answer = await nodeHttpSend({ lookup })(get(url(counted, 'nimbus.test')));
    expect(await answer.text()).toBe('ok');
    expect(asked).toEqual(['nimbus.test']);
  });
});
