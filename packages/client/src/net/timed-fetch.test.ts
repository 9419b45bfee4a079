// Request deadlines and dropping pooled connections, against real loopback servers.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPooledConnections, SLOWEST_UPLOAD_BYTES_PER_SECOND, timedFetch } from './timed-fetch.js';

describe('timedFetch and dropPooledConnections', () => {
  let slowBody: http.Server;
  let blackhole: net.Server;
  let counted: http.Server;
  let connections = 0;
  const held: net.Socket[] = [];
  const url = (server: net.Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  beforeAll(async () => {
    // Headers at once, the body 300 ms later: longer than the deadline, which only covers the wait for an answer.
    slowBody = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first ');
      setTimeout(() => response.end('last'), 300);
    });
    blackhole = net.createServer((socket) => void held.push(socket.resume()));
    counted = http.createServer((_request, response) => response.end('ok'));
    counted.on('connection', () => connections++);
    for (const server of [slowBody, blackhole, counted]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    for (const server of [slowBody, counted]) server.closeAllConnections();
    for (const server of [slowBody, blackhole, counted]) await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a black hole with a TimeoutError', async () => {
    const error = await timedFetch(200)(url(blackhole)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it('keeps the caller\'s own signal working beside the deadline', async () => {
    const stop = new AbortController();
    const pending = timedFetch(10_000)(url(blackhole), { signal: stop.signal });
    stop.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('does not cut an answer whose body is still coming after the deadline', async () => {
    const response = await timedFetch(100)(url(slowBody));
    expect(await response.text()).toBe('first last');
  });

  it('gives a request body time to go up: the deadline grows with its size', async () => {
    // Answers 300 ms after the request arrives: later than the bare 100 ms deadline.
    const late = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => setTimeout(() => response.end('stored'), 300));
    });
    await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
    try {
      const body = Buffer.alloc(SLOWEST_UPLOAD_BYTES_PER_SECOND); // one second's worth at the slowest rate
      const response = await timedFetch(100)(url(late), { method: 'POST', body });
      expect(await response.text()).toBe('stored');
      await expect(timedFetch(100)(url(late), { method: 'POST', body: 'x' })).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      late.closeAllConnections();
      await new Promise((resolve) => late.close(resolve));
    }
  });

  it('drops pooled keep-alive connections: the next request opens a new one', async () => {
    await (await fetch(url(counted))).text();
    await (await fetch(url(counted))).text();
    const pooled = connections;
    dropPooledConnections();
    await (await fetch(url(counted))).text();
    expect(connections).toBe(pooled + 1);
  });
});
