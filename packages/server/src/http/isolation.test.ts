// Walks every route with a second account's token against the first account's data: nothing leaks, nothing changes.
import { SERVICES, type DeviceStatusReport } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

const SECRET_TEXT = 'alice-private-note-7d1f';
const blobBytes = Buffer.from(`alice's photo bytes ${SECRET_TEXT}`);
const blobSha = createHash('sha256').update(blobBytes).digest('hex');
const pendingBytes = Buffer.alloc(1000, 7);
const pendingSha = createHash('sha256').update(pendingBytes).digest('hex');

/** A device status report (PUT /v1/devices/current/status) whose banner says `banner`. */
function statusReport(banner: string): DeviceStatusReport {
  const services = Object.fromEntries(SERVICES.map((s) => [s, { enabled: true, cellular: true, pending: 0, lastSyncedAt: null, setAside: [] }]));
  const pending = Object.fromEntries(SERVICES.map((s) => [s, 0]));
  return { state: 'idle', failure: null, pending, services, lastSyncedAt: null, stalled: false, banner } as DeviceStatusReport;
}

describeEachDatabase('account isolation', (kind) => {
  let server: TestServer;
  let alice: { token: string; sessionId: string };
  let bob: { token: string };
  const bobLogin = async (): Promise<string> => {
    const login = await server.request({ method: 'POST', url: '/v1/sessions', payload: { email: 'bob@example.org', password: 'correct horse battery', deviceName: 'bob' } });
    return login.json<{ accessToken: string }>().accessToken;
  };
  let uploadId: string;

  /** Alice's state as Alice sees it, to compare before and after Bob's walk. */
  async function aliceSnapshot(): Promise<unknown> {
    const get = async (url: string) => {
      const response = await server.request({ method: 'GET', url, token: alice.token });
      return { status: response.statusCode, body: response.body.replace(/"(lastSeenAt|serverTime)":\d+/g, '') };
    };
    return {
      record: await get('/v1/records/notes/n1'),
      feed: await get('/v1/changes'),
      blob: await get(`/v1/blobs/${blobSha}`),
      upload: await get(`/v1/uploads/${uploadId}`),
      storage: await get('/v1/storage'),
      account: await get('/v1/account'),
      devices: await get('/v1/sessions'),
      deviceStatus: await get('/v1/devices'),
      services: await get('/v1/account/services'),
    };
  }

  beforeAll(async () => {
    server = await createTestServer(kind);
    const a = await server.signUp('alice@example.org');
    alice = { token: a.accessToken, sessionId: a.sessionId };
    bob = { token: (await server.signUp('bob@example.org')).accessToken };

    const upload = await server.request({ method: 'POST', url: '/v1/uploads', token: alice.token, payload: { sha256: blobSha, size: blobBytes.length, zone: 'photos' } });
    const id = upload.json<{ uploadId: string }>().uploadId;
    await server.request({ method: 'PUT', url: `/v1/uploads/${id}`, token: alice.token, payload: blobBytes, headers: { 'content-type': 'application/octet-stream', 'upload-offset': '0' } });
    const done = await server.request({ method: 'POST', url: `/v1/uploads/${id}/complete`, token: alice.token });
    expect(done.statusCode).toBe(200);
    const write = await server.request({
      method: 'POST',
      url: '/v1/records/batch',
      token: alice.token,
      payload: { writes: [{ zone: 'notes', id: 'n1', baseVersion: 0, data: { text: SECRET_TEXT }, blobs: [blobSha] }] },
    });
    expect(write.json<{ results: { status: string }[] }>().results[0]?.status).toBe('ok');
    const pending = await server.request({ method: 'POST', url: '/v1/uploads', token: alice.token, payload: { sha256: pendingSha, size: pendingBytes.length, zone: 'drive' } });
    uploadId = pending.json<{ uploadId: string }>().uploadId;
    const reported = await server.request({ method: 'PUT', url: '/v1/devices/current/status', token: alice.token, payload: statusReport(`Paused — ${SECRET_TEXT}`) });
    expect(reported.statusCode, reported.body).toBe(200);
    const switched = await server.request({ method: 'PUT', url: '/v1/account/services', token: alice.token, payload: { drive: { enabled: false } } });
    expect(switched.statusCode, switched.body).toBe(200);
  });
  afterAll(() => server.close());

  it('gives Bob nothing of Alice on any route, and leaves her data as it was', async () => {
    const before = await aliceSnapshot();
    const params: Record<string, string> = { zone: 'notes', id: 'n1', sha256: blobSha, uploadId, sessionId: alice.sessionId };
    const bodies: unknown[] = [
      {},
      { writes: [{ zone: 'notes', id: 'n1', baseVersion: 1, data: { text: 'bob was here' } }, { zone: 'notes', id: 'n1', baseVersion: 1, delete: true }] },
      { writes: [{ zone: 'photos', id: 'p', baseVersion: 0, data: {}, blobs: [blobSha] }] },
      { hashes: [blobSha, pendingSha] },
      { sha256: pendingSha, size: pendingBytes.length, zone: 'drive' },
      { scope: 'all' },
      { quotaBytes: 1 },
      statusReport('bob reports'),
      { photos: { enabled: false }, drive: { enabled: true } },
    ];
    for (const route of server.routes.filter((r) => r.url.startsWith('/v1/'))) {
      const url = route.url.replace(/:([A-Za-z0-9]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? params['id'] ?? 'x'));
      for (const payload of route.method === 'GET' || route.method === 'DELETE' ? [undefined] : bodies) {
        const response = await server.request({
          method: route.method as 'GET',
          url,
          token: bob.token,
          ...(payload === undefined ? {} : { payload: payload as object }),
          ...(route.url.startsWith('/v1/uploads/:') && route.method === 'PUT'
            ? { payload: pendingBytes, headers: { 'content-type': 'application/octet-stream', 'upload-offset': '0' } }
            : {}),
        });
        const where = `${route.method} ${url}`;
        // Bob may sign himself out on the way; sign him back in so every route is tried signed in.
        if (response.statusCode === 401) bob.token = await bobLogin();
        expect(response.body, where).not.toContain(SECRET_TEXT);
        expect(response.body, where).not.toContain('alice@example.org');
        expect(response.body, where).not.toContain(uploadId);
        if (route.url.includes(':sha256') || route.url.includes(':uploadId') || route.url === '/v1/sessions/:id' || route.url === '/v1/devices/:id') {
          expect(response.statusCode, where).toBeGreaterThanOrEqual(400);
        }
      }
    }
    // Bob's own writes (the same ids in his account) are fine; Alice's view must not have moved.
    expect(await aliceSnapshot()).toEqual(before);
  });
});
