import { LIMITS, type BatchWriteResponse, type ErrorBody, type NimbusRecord, type WriteResult } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('record batch writes', (kind) => {
  let server: TestServer;
  let token: string;
  beforeEach(async () => {
    ({ server, token } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  const batch = (writes: unknown[], as = token) => server.request({ method: 'POST', url: '/v1/records/batch', token: as, payload: { writes } });
  const results = async (writes: unknown[]): Promise<WriteResult[]> => {
    const res = await batch(writes);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<BatchWriteResponse>().results;
  };
  const get = (zone: string, id: string) => server.request({ method: 'GET', url: `/v1/records/${zone}/${encodeURIComponent(id)}`, token });

  it('creates, updates and reads records with versions', async () => {
    expect(await results([{ zone: 'notes', id: 'a', baseVersion: 0, data: { text: 'hi' } }])).toEqual([
      { index: 0, zone: 'notes', id: 'a', status: 'ok', version: 1 },
    ]);
    expect((await results([{ zone: 'notes', id: 'a', baseVersion: 1, data: { text: 'hello' } }]))[0]).toMatchObject({ status: 'ok', version: 2 });
    const read = await get('notes', 'a');
    expect(read.statusCode).toBe(200);
    expect(read.json<NimbusRecord>()).toMatchObject({ zone: 'notes', id: 'a', version: 2, deleted: false, data: { text: 'hello' }, blobs: [], size: 16 });
    expect((await get('notes', 'nope')).statusCode).toBe(404);
    const badZone = await get('music', 'a');
    expect(badZone.statusCode).toBe(400);
    expect(badZone.json<ErrorBody>().error.kind).toBe('BAD_REQUEST');
  });

  it('answers each write on its own: ok, conflict with the server copy, invalid', async () => {
    await results([{ zone: 'contacts', id: 'c1', baseVersion: 0, data: { name: 'Ann' } }]);
    const answers = await results([
      { zone: 'contacts', id: 'c1', baseVersion: 0, data: { name: 'Ann B' } },
      { zone: 'contacts', id: 'c2', baseVersion: 0, data: { name: 'Bob' } },
      { zone: 'music', id: 'x', baseVersion: 0, data: {} },
      'garbage',
      { zone: 'notes', id: 'n', baseVersion: 0 },
      { zone: 'notes', id: 'big', baseVersion: 0, data: { text: 'x'.repeat(LIMITS.recordMaxBytes) } },
      { zone: 'notes', id: 'gone', baseVersion: 3, data: { text: '' } },
      { zone: 'photos', id: 'p', baseVersion: 0, data: {}, blobs: ['a'.repeat(64)] },
    ]);
    expect(answers.map((a) => a.status)).toEqual(['conflict', 'ok', 'invalid', 'invalid', 'invalid', 'invalid', 'conflict', 'invalid']);
    expect(answers[0]).toMatchObject({ server: { id: 'c1', version: 1, data: { name: 'Ann' } } });
    expect(answers[2]).toMatchObject({ zone: 'music', id: 'x' });
    expect(answers[3]).toMatchObject({ zone: null, id: null });
    expect(answers[6]).toMatchObject({ server: null });
    expect(answers[7]).toMatchObject({ message: expect.stringContaining('not uploaded') });
    expect(answers.map((a) => a.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('deletes into tombstones and recreates over them from the tombstone version', async () => {
    await results([{ zone: 'notes', id: 'n', baseVersion: 0, data: { text: 'x' } }]);
    expect((await results([{ zone: 'notes', id: 'n', baseVersion: 1, delete: true }]))[0]).toMatchObject({ status: 'ok', version: 2 });
    expect((await get('notes', 'n')).json<NimbusRecord>()).toMatchObject({ version: 2, deleted: true, data: null, blobs: [], size: 0 });
    // Deleting again, or deleting what never existed, changes nothing.
    expect(await results([
      { zone: 'notes', id: 'n', baseVersion: 2, delete: true },
      { zone: 'notes', id: 'never', baseVersion: 0, delete: true },
    ])).toMatchObject([{ status: 'ok', version: 2 }, { status: 'ok', version: 0 }]);
    expect((await results([{ zone: 'notes', id: 'n', baseVersion: 0, data: { text: 'again' } }]))[0]).toMatchObject({
      status: 'conflict',
      server: { version: 2, deleted: true },
    });
    expect((await results([{ zone: 'notes', id: 'n', baseVersion: 2, data: { text: 'again' } }]))[0]).toMatchObject({ status: 'ok', version: 3 });
  });

  it('lets a second write of the same record see the first', async () => {
    const answers = await results([
      { zone: 'notes', id: 'd', baseVersion: 0, data: { v: 1 } },
      { zone: 'notes', id: 'd', baseVersion: 1, data: { v: 2 } },
      { zone: 'notes', id: 'd', baseVersion: 1, data: { v: 'stale' } },
    ]);
    expect(answers).toMatchObject([{ status: 'ok', version: 1 }, { status: 'ok', version: 2 }, { status: 'conflict', server: { version: 2, data: { v: 2 } } }]);
    expect((await get('notes', 'd')).json<NimbusRecord>()).toMatchObject({ version: 2, data: { v: 2 } });
  });

  it('writes a full batch of the documented size and refuses a bigger one with BATCH_TOO_LARGE', async () => {
    const writes = Array.from({ length: LIMITS.batchMaxRecords }, (_, i) => ({ zone: 'notes', id: `n${i}`, baseVersion: 0, data: { i } }));
    expect((await results(writes)).every((r) => r.status === 'ok')).toBe(true);
    const again = await results(writes.map((w) => ({ ...w, baseVersion: 1, data: { i: -1 } })));
    expect(again.every((r) => r.status === 'ok' && r.version === 2)).toBe(true);
    const tooMany = await batch([...writes, writes[0]]);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json<ErrorBody>().error).toMatchObject({ kind: 'BATCH_TOO_LARGE', limit: LIMITS.batchMaxRecords });
    const empty = await batch([]);
    expect(empty.statusCode).toBe(400);
  });

  it('keeps ids with slashes and unicode addressable', async () => {
    await results([{ zone: 'drive', id: 'Docs/2024/été.txt', baseVersion: 0, data: { n: 1 } }]);
    const read = await get('drive', 'Docs/2024/été.txt');
    expect(read.statusCode).toBe(200);
    expect(read.json<NimbusRecord>().id).toBe('Docs/2024/été.txt');
  });

  it('stores awkward ids and data exactly', async () => {
    const ids = ['a,"b"{c}\\d', 'NULL', ' spaced ', '{}', "it's"];
    const data = { s: 'back\\slash "q" NULL {x,y}', n: null, nested: { deep: [1, 'two', { three: 3 }] }, emoji: '📷' };
    const answers = await results(ids.map((id) => ({ zone: 'notes', id, baseVersion: 0, data })));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 'ok'));
    for (const id of ids) {
      const read = await get('notes', id);
      expect(read.json<NimbusRecord>()).toMatchObject({ id, data });
    }
    const again = await results(ids.map((id) => ({ zone: 'notes', id, baseVersion: 0, data })));
    expect(again.map((a) => a.status)).toEqual(ids.map(() => 'conflict'));
  });

  it('answers hostile nesting as an invalid write, not a crash', async () => {
    const depth = 50_000;
    const payload = `{"writes":[{"zone":"notes","id":"deep","baseVersion":0,"data":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}},{"zone":"notes","id":"fine","baseVersion":0,"data":{}}]}`;
    const res = await server.request({ method: 'POST', url: '/v1/records/batch', token, payload, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<BatchWriteResponse>().results.map((r) => r.status)).toEqual(['invalid', 'ok']);
  });

  it('keeps accounts apart', async () => {
    await results([{ zone: 'notes', id: 'secret', baseVersion: 0, data: { t: 1 } }]);
    const other = (await server.signUp()).accessToken;
    expect((await server.request({ method: 'GET', url: '/v1/records/notes/secret', token: other })).statusCode).toBe(404);
    const res = await batch([{ zone: 'notes', id: 'secret', baseVersion: 1, data: { t: 'x' } }], other);
    expect(res.json<BatchWriteResponse>().results[0]).toMatchObject({ status: 'conflict', server: null });
    expect((await get('notes', 'secret')).json<NimbusRecord>().data).toEqual({ t: 1 });
    expect((await server.request({ method: 'POST', url: '/v1/records/batch', payload: { writes: [] } })).statusCode).toBe(401);
  });
});
