// The harness between the real Nimbus API client and a real Nimbus server: each fault reaches the one classifier as its cause.
import { ApiClient } from '@nimbus/client';
import { PROBE_MARKER } from '@nimbus/protocol';
import { createLogger, resolveServerConfig, startServer, type RunningServer } from '@nimbus/server';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify, type ProbeResult } from '../../../../client/src/engine/classify.js';
import { FaultProxy } from './fault-proxy.js';

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a failure'),
    (error: unknown) => error,
  );
}

describe('FaultProxy between the Nimbus API client and a Nimbus server', () => {
  let dataDir: string;
  let server: RunningServer;
  let proxy: FaultProxy;
  let client: ApiClient;
  const now = Date.now();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nimbus-faults-'));
    server = await startServer(resolveServerConfig({ port: '0', probePort: 'off', data: dataDir }, {}), { logger: createLogger('silent') });
    proxy = await FaultProxy.start({ target: server.url });
    client = new ApiClient({ server: proxy.url() });
  });
  afterEach(() => proxy.setMode('pass'));
  afterAll(async () => {
    await proxy.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes the API through', async () => {
    const account = await client.createAccount({ email: 'faults@example.org', password: 'a long passphrase' });
    expect(account.email).toBe('faults@example.org');
    const probe = await fetch(proxy.url('http', '/v1/probe'));
    expect(await probe.json()).toMatchObject({ probe: PROBE_MARKER });
  });

  it('refused: the client sees ECONNREFUSED, the server is unreachable', async () => {
    await proxy.setMode('refuse');
    const error = await failureOf(client.login({ email: 'faults@example.org', password: 'a long passphrase' }));
    expect(error).toMatchObject({ name: 'TransportError', code: 'ECONNREFUSED' });
    expect(classify(error, { now })).toMatchObject({ cause: 'SERVER_UNAVAILABLE' });
    const blocked: ProbeResult = { mainPort: 'refused', probePort: 'ok' };
    expect(classify(error, { now, probe: blocked })).toMatchObject({ cause: 'NETWORK_BLOCKED' });
  });

  it('captive portal: the client gets the portal\'s page instead of an API answer', async () => {
    await proxy.setMode('portal');
    const error = await failureOf(client.login({ email: 'faults@example.org', password: 'a long passphrase' }));
    const portal: ProbeResult = { mainPort: 'portal', probePort: 'portal', portalUrl: proxy.url('http', '/portal/login') };
    expect(classify(error, { now, probe: portal })).toMatchObject({ cause: 'NETWORK_CAPTIVE_PORTAL', portalUrl: proxy.url('http', '/portal/login') });
    expect(classify(error, { now })).toMatchObject({ cause: 'NETWORK_CAPTIVE_PORTAL' });
  });

  it('503 and 429 with Retry-After reach the classifier as SERVER_UNAVAILABLE and RATE_LIMITED with their wait', async () => {
    await proxy.setMode({ kind: 'status', status: 503, retryAfter: 30 });
    const busy = await failureOf(client.login({ email: 'faults@example.org', password: 'a long passphrase' }));
    expect(busy).toMatchObject({ kind: 'SERVER_UNAVAILABLE' });
    expect(classify(busy, { now })).toMatchObject({ cause: 'SERVER_UNAVAILABLE', retryAt: now + 30_000 });

    await proxy.setMode({ kind: 'status', status: 429, retryAfter: 5 });
    const limited = await failureOf(client.login({ email: 'faults@example.org', password: 'a long passphrase' }));
    expect(classify(limited, { now })).toMatchObject({ cause: 'RATE_LIMITED', retryAt: now + 5_000 });

    await proxy.setMode('pass');
    expect((await client.login({ email: 'faults@example.org', password: 'a long passphrase', deviceName: 'faults' })).accessToken).toEqual(expect.any(String));
  });
});
