import { SERVICES, type AccountServices, type ChangesResponse, type DeviceStatusReport, type DevicesResponse, type ErrorBody } from '@nimbus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryChangeNotifier } from '../notify/notifier-memory.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

/** A device's status as `nimbus status --json` prints it when storage is full. */
function pausedForQuota(): DeviceStatusReport {
  const services = Object.fromEntries(
    SERVICES.map((s) => [s, { enabled: true, cellular: true, pending: s === 'photos' ? 3 : 0, lastSyncedAt: 1_000, setAside: [], waiting: null }]),
  ) as DeviceStatusReport['services'];
  return {
    state: 'paused',
    failure: {
      code: 'SYNC_FAIL',
      cause: 'QUOTA_EXCEEDED',
      family: 'storage',
      message: 'Your Nimbus storage is full (5.0 GB of 5.0 GB used).',
      affects: ['photos', 'drive', 'backups'],
      remedies: [{ id: 'manage-storage', text: 'See what uses space: nimbus storage', command: 'nimbus storage' }],
      usedBytes: 5e9,
      quotaBytes: 5e9,
    },
    pending: Object.fromEntries(SERVICES.map((s) => [s, s === 'photos' ? 3 : 0])) as DeviceStatusReport['pending'],
    services,
    lastSyncedAt: 1_000,
    stalled: false,
    banner: 'Sync Paused — storage full (5.0 GB of 5.0 GB used). Photos and Drive are waiting; contacts and notes are syncing. Fix: nimbus storage',
  };
}

describeEachDatabase('devices and their status', (kind) => {
  let server: TestServer;
  let laptop: { token: string; sessionId: string };
  let phone: { token: string; sessionId: string };
  beforeEach(async () => {
    server = await createTestServer(kind);
    const first = await server.signUp('ann@example.org', 'correct horse battery', 'laptop');
    laptop = { token: first.accessToken, sessionId: first.sessionId };
    const login = await server.request({ method: 'POST', url: '/v1/sessions', payload: { email: 'ann@example.org', password: 'correct horse battery', deviceName: 'phone' } });
    const second = login.json<{ accessToken: string; sessionId: string }>();
    phone = { token: second.accessToken, sessionId: second.sessionId };
  });
  afterEach(async () => server.close());

  const report = (token: string | undefined, payload: unknown) =>
    server.request({ method: 'PUT', url: '/v1/devices/current/status', payload: payload as object, ...(token ? { token } : {}) });
  const devices = async (token: string, query: Record<string, string> = {}) => {
    const res = await server.request({ method: 'GET', url: '/v1/devices', token, query });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Required<DevicesResponse>>();
  };
  const ticks = async (n = 20) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  it("shows a device's reported pause, with its cause and fix, to the account's other devices", async () => {
    expect((await devices(phone.token)).devices.map((d) => d.status)).toEqual([null, null]);
    server.clock.advance(5_000);
    const stored = await report(laptop.token, pausedForQuota());
    expect(stored.statusCode, stored.body).toBe(200);
    const listing = await devices(phone.token);
    const seen = listing.devices.find((d) => d.sessionId === laptop.sessionId);
    expect(seen).toMatchObject({ deviceName: 'laptop', current: false, status: { state: 'paused', reportedAt: server.clock.now() } });
    expect(seen?.status?.failure).toMatchObject({ cause: 'QUOTA_EXCEEDED', family: 'storage', remedies: [{ id: 'manage-storage' }] });
    expect(seen?.status?.banner).toContain('storage full');
    expect(listing.devices.find((d) => d.current)?.deviceName).toBe('phone');
  });

  it('keeps only the latest report, and the revision moves with it', async () => {
    await report(laptop.token, pausedForQuota());
    const before = await devices(phone.token);
    const idle = { ...pausedForQuota(), state: 'idle', failure: null, banner: 'Up to date' };
    await report(laptop.token, idle);
    const after = await devices(phone.token);
    expect(after.devices.find((d) => d.sessionId === laptop.sessionId)?.status).toMatchObject({ state: 'idle', failure: null });
    expect(after.revision).not.toBe(before.revision);
    expect((await devices(phone.token)).revision).toBe(after.revision);
  });

  it('answers a long-poll as soon as a device reports, and the same revision waits', async () => {
    const { revision } = await devices(phone.token);
    let done = false;
    const waiting = devices(phone.token, { since: revision, wait: '60' }).then((r) => ((done = true), r));
    await ticks();
    expect(done).toBe(false);
    await report(laptop.token, pausedForQuota());
    const answer = await waiting;
    expect(answer.revision).not.toBe(revision);
    expect(answer.devices.find((d) => d.sessionId === laptop.sessionId)?.status?.state).toBe('paused');
    expect((server.ctx.notifier as MemoryChangeNotifier).listenedAccounts).toBe(0);
  });

  it('answers a long-poll when a device signs in or is signed out', async () => {
    const { revision } = await devices(phone.token);
    const waiting = devices(phone.token, { since: revision, wait: '60' });
    await ticks();
    await server.request({ method: 'POST', url: '/v1/sessions', payload: { email: 'ann@example.org', password: 'correct horse battery', deviceName: 'tablet' } });
    expect((await waiting).devices.map((d) => d.deviceName).sort()).toEqual(['laptop', 'phone', 'tablet']);
    const again = await devices(phone.token);
    const gone = devices(phone.token, { since: again.revision, wait: '60' });
    await ticks();
    await server.request({ method: 'DELETE', url: `/v1/devices/${laptop.sessionId}`, token: phone.token });
    expect((await gone).devices.map((d) => d.deviceName).sort()).toEqual(['phone', 'tablet']);
  });

  it('checks who is asking and what is sent', async () => {
    expect((await report(undefined, pausedForQuota())).statusCode).toBe(401);
    expect((await server.request({ method: 'GET', url: '/v1/devices' })).statusCode).toBe(401);
    const bad = await report(laptop.token, { ...pausedForQuota(), state: 'exploded' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.kind).toBe('BAD_REQUEST');
    const huge = await report(laptop.token, { ...pausedForQuota(), banner: 'x'.repeat(100_000) });
    expect(huge.statusCode).toBe(413);
    expect((await server.request({ method: 'GET', url: '/v1/devices', token: laptop.token, query: { wait: '999' } })).statusCode).toBe(400);
  });

  it("keeps other accounts' devices invisible and out of reach", async () => {
    await report(laptop.token, pausedForQuota());
    const stranger = await server.signUp('sam@example.org');
    const theirs = await devices(stranger.accessToken);
    expect(theirs.devices.map((d) => d.deviceName)).toEqual(['test device']);
    expect(JSON.stringify(theirs)).not.toContain('storage full');
    const signOut = await server.request({ method: 'DELETE', url: `/v1/devices/${laptop.sessionId}`, token: stranger.accessToken });
    expect(signOut.statusCode).toBe(404);
    expect((await devices(phone.token)).devices).toHaveLength(2);
  });

  it('signs a device out by its id (DELETE /v1/devices/:id): it leaves the listing and its token stops working', async () => {
    const res = await server.request({ method: 'DELETE', url: `/v1/devices/${laptop.sessionId}`, token: phone.token });
    expect(res.statusCode).toBe(200);
    expect((await devices(phone.token)).devices.map((d) => d.deviceName)).toEqual(['phone']);
    const dead = await server.request({ method: 'GET', url: '/v1/devices', token: laptop.token });
    expect(dead.json<ErrorBody>().error.kind).toBe('AUTH_REVOKED');
  });

  describe('account services', () => {
    const get = async (token: string) => {
      const res = await server.request({ method: 'GET', url: '/v1/account/services', token });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<AccountServices>();
    };
    const put = (token: string, payload: unknown) => server.request({ method: 'PUT', url: '/v1/account/services', token, payload: payload as object });

    it('starts with everything on, and changes only what a PUT names', async () => {
      expect(Object.values(await get(laptop.token)).every((s) => s.enabled && s.cellular)).toBe(true);
      const res = await put(phone.token, { photos: { enabled: false }, drive: { cellular: false } });
      expect(res.statusCode, res.body).toBe(200);
      const now = await get(laptop.token);
      expect(now.photos).toEqual({ enabled: false, cellular: true });
      expect(now.drive).toEqual({ enabled: true, cellular: false });
      expect(now.notes).toEqual({ enabled: true, cellular: true });
      await put(phone.token, { photos: { cellular: false } });
      expect((await get(laptop.token)).photos).toEqual({ enabled: false, cellular: false });
    });

    it('refuses unknown services and fields, and needs a session', async () => {
      expect((await put(phone.token, { faxes: { enabled: false } })).statusCode).toBe(400);
      expect((await put(phone.token, { photos: { enabled: 'no' } })).statusCode).toBe(400);
      expect((await put(phone.token, { photos: { enabled: false, extra: 1 } })).statusCode).toBe(400);
      expect((await server.request({ method: 'GET', url: '/v1/account/services' })).statusCode).toBe(401);
      expect((await get(laptop.token)).photos.enabled).toBe(true);
    });

    it("is the account's own: another account's switches do not change", async () => {
      const stranger = await server.signUp('tom@example.org');
      await put(stranger.accessToken, { notes: { enabled: false } });
      expect((await get(laptop.token)).notes.enabled).toBe(true);
    });

    it("wakes the account's feed long-polls with servicesChanged", async () => {
      const since = (await server.request({ method: 'GET', url: '/v1/changes', token: laptop.token })).json<ChangesResponse>().token;
      const waiting = server.request({ method: 'GET', url: '/v1/changes', token: laptop.token, query: { since, wait: '60' } });
      await ticks();
      await report(phone.token, pausedForQuota()); // a status report does not answer a feed wait
      await put(phone.token, { photos: { enabled: false } });
      const answer = (await waiting).json<ChangesResponse>();
      expect(answer).toMatchObject({ changes: [], servicesChanged: true });
      expect(answer.storageChanged).toBeUndefined();
    });
  });
});
