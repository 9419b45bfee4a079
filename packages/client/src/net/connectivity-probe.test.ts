// The connectivity probe against real loopback servers: our marker, a portal (redirect and page), a busy server, refused and black-holed ports.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeConnectivity, probeUrlFor } from './connectivity-probe.js';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const marker: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ probe: 'nimbus-probe', protocol: 1, serverTime: 1_700_000_000_000 }));
};
const redirect: Handler = (_request, response) => {
  response.writeHead(302, { location: '/portal/login' });
  response.end();
};
const page: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/html' });
  response.end('<html><body>Guest Wi-Fi: sign in</body></html>');
};
const busy: Handler = (_request, response) => {
  response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
  response.end('503 Service Unavailable');
};

describe('probeConnectivity', () => {
  const servers: net.Server[] = [];
  const url = (server: net.Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let ok: http.Server;
  let portal: http.Server;
  let portalPage: http.Server;
  let unavailable: http.Server;
  let blackhole: net.Server;
  let closedPort: string;
  const held: net.Socket[] = [];

  async function start<S extends net.Server>(server: S): Promise<S> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    ok = await start(http.createServer(marker));
    portal = await start(http.createServer(redirect));
    portalPage = await start(http.createServer(page));
    unavailable = await start(http.createServer(busy));
    blackhole = await start(net.createServer((socket) => void held.push(socket.resume())));
    const closed = await start(net.createServer());
    closedPort = url(closed);
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    for (const server of servers) {
      if (server instanceof http.Server) server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads our marker and the server time on both ports', async () => {
    expect(await probeConnectivity({ server: url(ok), probeUrl: url(ok) })).toEqual({
      mainPort: 'ok',
      probePort: 'ok',
      serverTime: 1_700_000_000_000,
    });
  });

  it('tells a blocked sync port (refused, or a black hole) from a probe port that answers', async () => {
    expect(await probeConnectivity({ server: closedPort, probeUrl: url(ok) })).toMatchObject({ mainPort: 'refused', probePort: 'ok' });
    expect(await probeConnectivity({ server: url(blackhole), probeUrl: url(ok), timeoutMs: 300 })).toMatchObject({ mainPort: 'timeout', probePort: 'ok' });
  });

  it('sees a captive portal: a redirect (with where it points, made absolute) or its own page', async () => {
    expect(await probeConnectivity({ server: url(portal), probeUrl: url(portal) })).toEqual({
      mainPort: 'portal',
      probePort: 'portal',
      portalUrl: `${url(portal)}/portal/login`,
    });
    expect(await probeConnectivity({ server: url(portalPage), probeUrl: null })).toEqual({ mainPort: 'portal', probePort: 'off' });
  });

  it('does not take a busy server for a portal', async () => {
    expect(await probeConnectivity({ server: url(unavailable), probeUrl: url(ok) })).toMatchObject({ mainPort: 'unavailable', probePort: 'ok' });
  });

  it('finds the probe port by convention: plain HTTP, one above the sync port', () => {
    expect(probeUrlFor('https://cloud.example.org:7070')).toBe('http://cloud.example.org:7071');
    expect(probeUrlFor('https://cloud.example.org')).toBe('http://cloud.example.org:444');
    expect(probeUrlFor('http://[::1]:8080/')).toBe('http://[::1]:8081');
  });
});
