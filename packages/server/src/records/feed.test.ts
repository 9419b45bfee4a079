import type { ChangesResponse, ErrorBody, NimbusRecord } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';
import { encodeChangeToken } from './change-token.js';
import { purgeTombstones } from './tombstone-purge.js';

describeEachDatabase('change feed', (kind) => {
  let server: TestServer;
  let token: string;
  beforeEach(async () => {
    ({ server, token } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  const write = async (writes: unknown[]) => {
    const res = await server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const changes = (query: Record<string, string | number>) => server.request({ method: 'GET', url: '/v1/changes', query: stringify(query), token });
  const page = async (query: Record<string, string | number>) => {
    const res = await changes(query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ChangesResponse>();
  };
  /** Follows `more` to the end; returns every change and the last token. */
  const drain = async (query: Record<string, string | number>) => {
    const all: NimbusRecord[] = [];
    let pages = 0;
    let current = query;
    for (;;) {
      const p = await page(current);
      all.push(...p.changes);
      pages++;
      current = { ...query, since: p.token };
      if (!p.more) return { all, token: p.token, pages };
    }
  };

  it('pages through everything in order with tokens, then waits for new changes', async () => {
    await write(Array.from({ length: 25 }, (_, i) => ({ zone: 'notes', id: `n${i}`, baseVersion: 0, data: { i } })));
    const first = await drain({ limit: 10 });
    expect(first.pages).toBe(3);
    expect(first.all.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => `n${i}`));
    expect((await page({ since: first.token })).changes).toEqual([]);
    await write([{ zone: 'notes', id: 'n3', baseVersion: 1, data: { i: 'three' } }, { zone: 'notes', id: 'new', baseVersion: 0, data: {} }]);
    const next = await page({ since: first.token });
    expect(next.changes.map((r) => [r.id, r.version])).toEqual([['n3', 2], ['new', 1]]);
    expect(next.changes[0]?.data).toEqual({ i: 'three' });
    expect(next.more).toBe(false);
  });

  it('carries tombstones to devices that follow the feed, and leaves them out from scratch', async () => {
    await write([{ zone: 'notes', id: 'a', baseVersion: 0, data: {} }, { zone: 'notes', id: 'b', baseVersion: 0, data: {} }]);
    const before = await page({});
    await write([{ zone: 'notes', id: 'a', baseVersion: 1, delete: true }]);
    const after = await page({ since: before.token });
    expect(after.changes).toMatchObject([{ id: 'a', deleted: true, data: null, version: 2 }]);
    const fresh = await drain({});
    expect(fresh.all.map((r) => r.id)).toEqual(['b']);
  });

  it('does not lose a deletion that happens during a scan from scratch', async () => {
    await write(Array.from({ length: 6 }, (_, i) => ({ zone: 'notes', id: `n${i}`, baseVersion: 0, data: {} })));
    await write([{ zone: 'notes', id: 'n5', baseVersion: 1, delete: true }]);
    const p1 = await page({ limit: 2 });
    expect(p1.changes.map((r) => r.id)).toEqual(['n0', 'n1']);
    await write([{ zone: 'notes', id: 'n0', baseVersion: 1, delete: true }]);
    const rest = await drain({ since: p1.token, limit: 2 });
    expect(rest.all.map((r) => [r.id, r.deleted])).toEqual([['n2', false], ['n3', false], ['n4', false], ['n0', true]]);
  });

  it('carries ids and data with quotes, backslashes, control characters and non-ASCII text exactly', async () => {
    const id = 'a"b\\c é ✓ 😀 </x>'; // ids refuse control characters
    const data = { text: 'line 1\n"quoted" \\ \u0001 ünïcode 😀', n: 12345678901, nested: { ok: true, list: [1, null] } };
    await write([{ zone: 'notes', id, baseVersion: 0, data, blobs: [] }]);
    const [change] = (await page({ zones: 'notes' })).changes.filter((r) => r.id === id);
    expect(change).toMatchObject({ zone: 'notes', id, version: 1, deleted: false, data, blobs: [] });
    expect(typeof change?.size).toBe('number');
    expect(typeof change?.modifiedAt).toBe('number');
  });

  it('filters by zone', async () => {
    await write([
      { zone: 'notes', id: 'n', baseVersion: 0, data: {} },
      { zone: 'contacts', id: 'c', baseVersion: 0, data: {} },
      { zone: 'photos', id: 'p', baseVersion: 0, data: {} },
    ]);
    expect((await page({ zones: 'contacts,notes' })).changes.map((r) => r.id)).toEqual(['n', 'c']);
    expect((await page({ zones: 'photos' })).changes.map((r) => r.id)).toEqual(['p']);
    const bad = await changes({ zones: 'photos,music' });
    expect(bad.statusCode).toBe(400);
  });

  it('expires tokens that needed purged tombstones with 410, and a fresh scan still works', async () => {
    await write([{ zone: 'notes', id: 'a', baseVersion: 0, data: {} }, { zone: 'notes', id: 'b', baseVersion: 0, data: {} }]);
    const old = await page({});
    await write([{ zone: 'notes', id: 'a', baseVersion: 1, delete: true }]);
    server.clock.advance(1000);
    const afterDelete = await page({ since: old.token });
    expect(await purgeTombstones(server.ctx.store.db, server.clock.now())).toBe(1);
    const expired = await changes({ since: old.token });
    expect(expired.statusCode).toBe(410);
    expect(expired.json<ErrorBody>().error.kind).toBe('CHANGE_TOKEN_EXPIRED');
    // A device that had seen the deletion goes on.
    expect((await changes({ since: afterDelete.token })).statusCode).toBe(200);
    expect((await drain({})).all.map((r) => r.id)).toEqual(['b']);
    expect((await server.request({ method: 'GET', url: '/v1/records/notes/a', token })).statusCode).toBe(404);
  });

  it('keeps young tombstones when purging', async () => {
    await write([{ zone: 'notes', id: 'a', baseVersion: 0, data: {} }]);
    await write([{ zone: 'notes', id: 'a', baseVersion: 1, delete: true }]);
    expect(await purgeTombstones(server.ctx.store.db, server.clock.now() - 1)).toBe(0);
    expect((await changes({ since: encodeChangeToken({ seq: 0, floor: 0 }) })).statusCode).toBe(200);
  });

  it('refuses garbage tokens and queries with 400', async () => {
    for (const since of ['garbage!', 'bm9wZQ', encodeURIComponent('{"v":1}'), Buffer.from('{"v":2,"seq":1}').toString('base64url')]) {
      const res = await changes({ since });
      expect(res.statusCode, since).toBe(400);
      expect(res.json<ErrorBody>().error.kind).toBe('BAD_REQUEST');
    }
    expect((await changes({ limit: 0 })).statusCode).toBe(400);
    expect((await changes({ limit: 'x' })).statusCode).toBe(400);
    expect((await changes({ other: 1 })).statusCode).toBe(400);
  });
});

function stringify(query: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
}
