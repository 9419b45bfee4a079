import { HEADERS, NimbusError, PROTOCOL_VERSION, type SessionTokens } from '@nimbus/protocol';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, TransportError, normalizeServerUrl } from './api-client.js';
import { classify, UnexpectedAnswerError } from './engine/classify.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

const tokens = (n: number): SessionTokens => ({
  sessionId: 's1',
  accessToken: `s1.access${n}`,
  accessExpiresAt: 1000 + n,
  refreshToken: `s1.refresh${n}`,
  refreshExpiresAt: 2000 + n,
});

const account = { id: 'a', email: 'a@example.org', isAdmin: true, twoFactorEnabled: false, quotaBytes: 5, usedBytes: 0, createdAt: 1 };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function fakeFetch(handler: (seen: Seen) => Response): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const entry: Seen = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    seen.push(entry);
    return handler(entry);
  }) as typeof fetch;
  return { fetch: fetchImpl, seen };
}

describe('ApiClient', () => {
  it('sends the protocol and client-time headers and the bearer token', async () => {
    const { fetch, seen } = fakeFetch(() => json(200, account));
    const client = new ApiClient({ server: 'http://127.0.0.1:7070/', fetch, session: tokens(1), now: () => 42 });
    expect(await client.account()).toEqual(account);
    expect(seen[0]?.url).toBe('http://127.0.0.1:7070/v1/account');
    expect(seen[0]?.headers[HEADERS.protocol]).toBe(String(PROTOCOL_VERSION));
    expect(seen[0]?.headers[HEADERS.clientTime]).toBe('42');
    expect(seen[0]?.headers['authorization']).toBe('Bearer s1.access1');
  });

  it('rebuilds error bodies as NimbusError with their details', async () => {
    const { fetch } = fakeFetch(() =>
      json(401, { error: { kind: 'AUTH_REVOKED', message: 'the password was changed', reason: 'PASSWORD_CHANGED' } }),
    );
    const client = new ApiClient({ server: 'http://127.0.0.1:1', fetch, session: tokens(1) });
    const error = await client.devices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NimbusError);
    expect(error).toMatchObject({ kind: 'AUTH_REVOKED', message: 'the password was changed', details: { reason: 'PASSWORD_CHANGED' } });
  });

  it('refreshes once on ACCESS_TOKEN_EXPIRED, hands the new tokens to onSession, and retries', async () => {
    const { fetch, seen } = fakeFetch((req) => {
      if (req.url.endsWith('/v1/sessions/refresh')) return json(200, tokens(2));
      if (req.headers['authorization'] === 'Bearer s1.access1') {
        return json(401, { error: { kind: 'AUTH_EXPIRED', message: 'expired', reason: 'ACCESS_TOKEN_EXPIRED' } });
      }
      return json(200, account);
    });
    const saved: SessionTokens[] = [];
    const client = new ApiClient({ server: 'http://127.0.0.1:1', fetch, session: tokens(1), onSession: (t) => void saved.push(t) });
    expect(await client.account()).toEqual(account);
    expect(seen.map((s) => s.url.replace('http://127.0.0.1:1', ''))).toEqual(['/v1/account', '/v1/sessions/refresh', '/v1/account']);
    expect(seen[1]?.body).toEqual({ refreshToken: 's1.refresh1' });
    expect(saved).toEqual([tokens(2)]);
    expect(client.session).toEqual(tokens(2));
  });

  it('does not refresh on other auth errors', async () => {
    const { fetch, seen } = fakeFetch(() => json(401, { error: { kind: 'AUTH_EXPIRED', message: 'gone', reason: 'SESSION_EXPIRED' } }));
    const client = new ApiClient({ server: 'http://127.0.0.1:1', fetch, session: tokens(1) });
    await expect(client.account()).rejects.toMatchObject({ kind: 'AUTH_EXPIRED' });
    expect(seen).toHaveLength(1);
  });

  it('keeps the tokens of a login', async () => {
    const { fetch } = fakeFetch(() => json(200, { ...tokens(3), account }));
    const saved: SessionTokens[] = [];
    const client = new ApiClient({ server: 'http://127.0.0.1:1', fetch, onSession: (t) => void saved.push(t) });
    await client.login({ email: 'a@example.org', password: 'pw', deviceName: 'd' });
    expect(saved).toEqual([tokens(3)]);
  });

  it('turns an unreachable server and a foreign answer into TransportError', async () => {
    const port = await closedPort();
    const refused = new ApiClient({ server: `http://127.0.0.1:${port}`, session: tokens(1) });
    const error = await refused.account().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('ECONNREFUSED');

    const { fetch } = fakeFetch(() => new Response('<html>sign in to the Wi-Fi</html>', { status: 200 }));
    const portal = new ApiClient({ server: 'http://127.0.0.1:1', fetch, session: tokens(1) });
    await expect(portal.account()).rejects.toBeInstanceOf(TransportError);
  });

  it("keeps a portal's redirect and a busy answer's Retry-After, which the classifier reads", async () => {
    const server = http.createServer((request, response) => {
      if (request.url === '/v1/account') response.writeHead(302, { location: '/portal/login' }).end();
      else response.writeHead(429, { 'retry-after': '7', 'content-type': 'text/plain' }).end('slow down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = new ApiClient({ server: base, session: tokens(1) });
      const redirected = await client.account().catch((e: unknown) => e);
      expect(redirected).toBeInstanceOf(UnexpectedAnswerError);
      expect((redirected as UnexpectedAnswerError).answer).toMatchObject({ status: 302, location: `${base}/portal/login` });
      expect(classify(redirected, { now: 0 })).toMatchObject({ cause: 'NETWORK_CAPTIVE_PORTAL', portalUrl: `${base}/portal/login` });
      const limited = await client.storage().catch((e: unknown) => e);
      expect(limited).toMatchObject({ name: 'TransportError', status: 429, retryAfter: '7' });
      expect(classify(limited, { now: 1_000 })).toMatchObject({ cause: 'RATE_LIMITED', retryAt: 8_000 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('requires a session for signed-in calls and an http(s) URL', async () => {
    const client = new ApiClient({ server: 'https://cloud.example.org' });
    await expect(client.account()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(() => normalizeServerUrl('not a url')).toThrow(TypeError);
    expect(() => normalizeServerUrl('ftp://x')).toThrow(TypeError);
  });
});

/** A loopback port nothing listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
