import { LIMITS, type BatchWriteResponse, type ErrorBody, type QuotaView, type WriteResult } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { signedInServer, type TestServer } from '../testing/test-server.js';

describeEachDatabase('record quota', (kind) => {
  let server: TestServer;
  let token: string;
  let accountId: string;
  beforeEach(async () => {
    ({ server, token, accountId } = await signedInServer(kind));
  });
  afterEach(async () => server.close());

  const setQuota = (quotaBytes: number) =>
    server.ctx.store.db.updateTable('accounts').set({ quota_bytes: quotaBytes }).where('id', '=', accountId).execute();
  const batch = (writes: unknown[]) => server.request({ method: 'POST', url: '/v1/records/batch', token, payload: { writes } });
  const results = async (writes: unknown[]): Promise<WriteResult[]> => {
    const res = await batch(writes);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<BatchWriteResponse>().results;
  };
  const account = () =>
    server.ctx.store.db.selectFrom('accounts').select(['used_bytes', 'quota_bytes']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const storedBytes = async () => {
    const rows = await server.ctx.store.db.selectFrom('records').select('size').where('account_id', '=', accountId).execute();
    return rows.reduce((sum, r) => sum + r.size, 0);
  };
  /** A record whose data is exactly `bytes` long as JSON. */
  const sized = (zone: string, id: string, bytes: number, baseVersion = 0) => ({ zone, id, baseVersion, data: { t: 'x'.repeat(bytes - 8) } });

  it('charges the size delta of each write and refunds on delete', async () => {
    await results([sized('notes', 'a', 100)]);
    expect((await account()).used_bytes).toBe(100);
    await results([sized('notes', 'a', 40, 1)]);
    expect((await account()).used_bytes).toBe(40);
    await results([{ zone: 'notes', id: 'a', baseVersion: 2, delete: true }]);
    expect((await account()).used_bytes).toBe(0);
  });

  it('answers quota per record in a mixed batch, and 507 when every write is refused', async () => {
    await setQuota(1000);
    await results([sized('photos', 'keep', 500)]);
    const mixed = await results([
      sized('photos', 'p1', 400),
      sized('photos', 'p2', 400),
      sized('photos', 'keep', 100, 0),
      { zone: 'photos', bad: true },
      sized('photos', 'keep', 100, 1),
    ]);
    expect(mixed.map((r) => r.status)).toEqual(['ok', 'quota', 'conflict', 'invalid', 'ok']);
    expect(mixed[1]).toMatchObject({ usedBytes: 900, quotaBytes: 1000, neededBytes: 400 });
    expect((await account()).used_bytes).toBe(500);
    await results([sized('photos', 'fill', 500)]);
    const full = await batch([sized('photos', 'p3', 10), sized('drive', 'd', 20)]);
    expect(full.statusCode).toBe(507);
    expect(full.json<ErrorBody>().error).toMatchObject({ kind: 'QUOTA_EXCEEDED', usedBytes: 1000, quotaBytes: 1000, neededBytes: 30 });
    // Shrinking and deleting always go through.
    expect(await results([sized('photos', 'fill', 100, 1)])).toMatchObject([{ status: 'ok' }]);
    expect((await account()).used_bytes).toBe(600);
  });

  it('never overshoots under 40 concurrent batches', async () => {
    const quota = 20_000;
    await setQuota(quota);
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, b) => batch(Array.from({ length: 5 }, (_, i) => sized('photos', `b${b}-${i}`, 150 + ((b * 7 + i * 13) % 200))))),
    );
    let accepted = 0;
    let refused = 0;
    for (const res of responses) {
      if (res.statusCode === 507) {
        refused += 5;
        continue;
      }
      expect(res.statusCode, res.body).toBe(200);
      for (const r of res.json<BatchWriteResponse>().results) {
        if (r.status === 'ok') accepted++;
        else {
          expect(r.status).toBe('quota');
          refused++;
        }
      }
    }
    expect(accepted + refused).toBe(200);
    expect(refused).toBeGreaterThan(0);
    const { used_bytes: used } = await account();
    expect(used).toBeLessThanOrEqual(quota);
    expect(used).toBe(await storedBytes());
    const count = await server.ctx.store.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(accepted);
  });

  it('keeps notes and contacts syncing on a full account, up to the essential grace', async () => {
    await setQuota(10_000);
    await results([sized('photos', 'p', 10_000)]);
    expect((await batch([sized('photos', 'p2', 100)])).statusCode).toBe(507);
    const essential = await results([sized('notes', 'n', 2000), sized('contacts', 'c', 500), sized('keychain', 'k', 300)]);
    expect(essential.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    // A record too big to be "essential" is refused like any other.
    const big = await results([sized('notes', 'big', 100 * 1024), sized('notes', 'small', 100)]);
    expect(big).toMatchObject([{ status: 'quota', neededBytes: 100 * 1024 }, { status: 'ok' }]);
    expect((await account()).used_bytes).toBe(12_900);
  });

  it('stops the essential allowance at quota + grace', async () => {
    await setQuota(0);
    const size = LIMITS.essentialRecordMaxBytes - 1;
    const fits = Math.floor(LIMITS.essentialGraceBytes / size);
    const writes = Array.from({ length: fits + 1 }, (_, i) => sized('notes', `n${i}`, size));
    const answers = [];
    for (let i = 0; i < writes.length; i += 100) {
      const res = await batch(writes.slice(i, i + 100));
      // A batch refused as a whole (507) is a batch of quota answers.
      if (res.statusCode === 507) answers.push(...writes.slice(i, i + 100).map(() => ({ status: 'quota' })));
      else answers.push(...res.json<BatchWriteResponse>().results);
    }
    expect(answers.filter((r) => r.status === 'ok')).toHaveLength(fits);
    expect(answers.at(-1)).toMatchObject({ status: 'quota' });
    expect((await account()).used_bytes).toBe(fits * size);
  });

  it('lets only an admin set quotas', async () => {
    const user = await server.signUp();
    const put = (id: string, as: string, body: unknown) =>
      server.request({ method: 'PUT', url: `/v1/admin/accounts/${id}/quota`, token: as, payload: body as Record<string, unknown> });
    const forbidden = await put(accountId, user.accessToken, { quotaBytes: 1 });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json<ErrorBody>().error.kind).toBe('FORBIDDEN');
    const ok = await put(user.account.id, token, { quotaBytes: 12345 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<QuotaView>()).toEqual({ accountId: user.account.id, quotaBytes: 12345, usedBytes: 0 });
    expect((await put('nobody', token, { quotaBytes: 1 })).statusCode).toBe(404);
    expect((await put(user.account.id, token, { quotaBytes: -1 })).statusCode).toBe(400);
  });
});
