import type { ChangesResponse } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MemoryChangeNotifier } from '../notify/notifier-memory.js';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('change feed long-poll (wait=N)', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  beforeEach(async () => {
    ({ server, token, accountId } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  const write = async (writes: unknown[], as = token) => {
    const res = await server.request({ method: 'POST', url: '/v1/records/batch', token: as, payload: { writes } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const changes = (query: Record<string, string>, as = token) => server.request({ method: 'GET', url: '/v1/changes', query, token: as });
  const tokenNow = async () => (await changes({})).json<ChangesResponse>().token;
  /** Resolves, and records that it did, so a test can check a wait is still open. */
  const track = <T>(promise: Promise<T>) => {
    const state = { done: false, promise };
    void promise.then(() => (state.done = true));
    return state;
  };
  const ticks = async (n = 20) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };

  it('answers at once when there are changes already', async () => {
    const since = await tokenNow();
    await write([{ zone: 'notes', id: 'a', baseVersion: 0, data: { t: 1 } }]);
    const res = await changes({ since, wait: '60' });
    expect(res.statusCode).toBe(200);
    expect(res.json<ChangesResponse>().changes.map((c) => c.id)).toEqual(['a']);
  });

  it('waits while nothing is newer, and answers as soon as another device writes', async () => {
    const since = await tokenNow();
    const waiting = track(changes({ since, wait: '60' }));
    await ticks();
    expect(waiting.done).toBe(false);
    await write([{ zone: 'contacts', id: 'c1', baseVersion: 0, data: { fn: 'Ada' } }]);
    const res = await waiting.promise;
    expect(res.statusCode).toBe(200);
    expect(res.json<ChangesResponse>().changes.map((c) => [c.zone, c.id])).toEqual([['contacts', 'c1']]);
    expect((server.ctx.notifier as MemoryChangeNotifier).listenedAccounts).toBe(0);
  });

  it("does not wake for another account's writes, nor for changes outside its zones", async () => {
    const other = (await server.signUp()).accessToken;
    const since = (await changes({ zones: 'notes' })).json<ChangesResponse>().token;
    const waiting = track(changes({ since, zones: 'notes', wait: '60' }));
    await ticks();
    await write([{ zone: 'notes', id: 'theirs', baseVersion: 0, data: {} }], other);
    await write([{ zone: 'drive', id: 'mine-elsewhere', baseVersion: 0, data: {} }]);
    await ticks(50);
    expect(waiting.done).toBe(false);
    await write([{ zone: 'notes', id: 'mine', baseVersion: 0, data: {} }]);
    expect((await waiting.promise).json<ChangesResponse>().changes.map((c) => c.id)).toEqual(['mine']);
  });

  it('wakes with storageChanged when space is freed in another zone or the quota changes; growing use does not wake', async () => {
    await write([{ zone: 'drive', id: 'big', baseVersion: 0, data: { pad: 'x'.repeat(4000) } }]);
    const since = (await changes({ zones: 'photos' })).json<ChangesResponse>().token;
    const waiting = track(changes({ since, zones: 'photos', wait: '60' }));
    await ticks();
    await write([{ zone: 'drive', id: 'more', baseVersion: 0, data: { pad: 'y' } }]);
    await ticks(50);
    expect(waiting.done).toBe(false);
    await write([{ zone: 'drive', id: 'big', baseVersion: 1, delete: true }]);
    const freed = (await waiting.promise).json<ChangesResponse>();
    expect(freed).toMatchObject({ changes: [], storageChanged: true });

    const again = track(changes({ since: freed.token, zones: 'photos', wait: '60' }));
    await ticks();
    expect(again.done).toBe(false);
    const raised = await server.request({ method: 'PUT', url: `/v1/admin/accounts/${accountId}/quota`, token, payload: { quotaBytes: 10_000_000_000 } });
    expect(raised.statusCode, raised.body).toBe(200);
    expect((await again.promise).json<ChangesResponse>()).toMatchObject({ changes: [], storageChanged: true });
    // A plain page never carries the flag.
    expect((await changes({ since: freed.token, zones: 'photos' })).json<ChangesResponse>().storageChanged).toBeUndefined();
  });

  it('answers an empty page with a usable token at the timeout', async () => {
    const since = await tokenNow();
    const res = await changes({ since, wait: '1' });
    expect(res.statusCode).toBe(200);
    const page = res.json<ChangesResponse>();
    expect(page).toMatchObject({ changes: [], more: false });
    await write([{ zone: 'notes', id: 'later', baseVersion: 0, data: {} }]);
    expect((await changes({ since: page.token })).json<ChangesResponse>().changes.map((c) => c.id)).toEqual(['later']);
  });

  it('a refused write (conflict) does not wake anyone', async () => {
    await write([{ zone: 'notes', id: 'n', baseVersion: 0, data: {} }]);
    const since = await tokenNow();
    const waiting = track(changes({ since, wait: '60' }));
    await ticks();
    await write([{ zone: 'notes', id: 'n', baseVersion: 0, data: { stale: true } }]);
    await ticks(50);
    expect(waiting.done).toBe(false);
    await write([{ zone: 'notes', id: 'n', baseVersion: 1, data: { fresh: true } }]);
    expect((await waiting.promise).json<ChangesResponse>().changes[0]?.data).toEqual({ fresh: true });
  });

  it('refuses a wait outside 0–60 seconds with 400', async () => {
    for (const wait of ['61', '-1', 'soon']) {
      const res = await changes({ wait });
      expect(res.statusCode, wait).toBe(400);
    }
  });

  it('ends open waits when the server closes', async () => {
    const since = await tokenNow();
    const waiting = changes({ since, wait: '60' });
    await ticks();
    await server.app.close();
    const res = await waiting;
    expect([200, 503]).toContain(res.statusCode);
  });
});
