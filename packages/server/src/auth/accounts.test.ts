import type { AccountView, ErrorBody } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';

const password = 'correct horse battery';

describeEachDatabase('accounts', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind, { defaultQuotaBytes: 123_456 });
  });
  afterEach(async () => server.close());

  const create = (email: string, token?: string) =>
    server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password }, ...(token ? { token } : {}) });

  it('makes the first account admin and later ones not, with the default quota', async () => {
    const first = await create('Admin@Example.org');
    expect(first.statusCode).toBe(201);
    const admin = first.json<AccountView>();
    expect(admin).toMatchObject({ email: 'admin@example.org', isAdmin: true, twoFactorEnabled: false, quotaBytes: 123_456, usedBytes: 0 });
    const second = await create('bob@example.org');
    expect(second.statusCode).toBe(201);
    expect(second.json<AccountView>().isAdmin).toBe(false);
  });

  it('refuses a taken email with EMAIL_TAKEN, whatever its case', async () => {
    await create('carol@example.org');
    const again = await create('CAROL@example.org');
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorBody>().error.kind).toBe('EMAIL_TAKEN');
  });

  it('refuses bad input with a clear 400', async () => {
    const bad = await server.request({ method: 'POST', url: '/v1/accounts', payload: { email: 'nope', password: 'short' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.kind).toBe('BAD_REQUEST');
  });

  it('stores an argon2id hash and no token in clear', async () => {
    const login = await server.signUp('dave@example.org', password);
    const account = await server.ctx.store.db.selectFrom('accounts').selectAll().where('email', '=', 'dave@example.org').executeTakeFirstOrThrow();
    expect(account.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(account.password_hash).toMatch(/m=(\d+),t=(\d+),p=1/);
    const [, memory, time] = /m=(\d+),t=(\d+)/.exec(account.password_hash) ?? [];
    expect(Number(memory)).toBeGreaterThanOrEqual(19_456);
    expect(Number(time)).toBeGreaterThanOrEqual(2);
    expect(account.password_hash).not.toContain(password);
    const rows = await server.ctx.store.db.selectFrom('sessions').selectAll().execute();
    const stored = JSON.stringify(rows);
    for (const token of [login.accessToken, login.refreshToken]) {
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(token.split('.')[1]);
    }
  });
});

describeEachDatabase('closed registration', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind, { registration: 'closed' });
  });
  afterEach(async () => server.close());

  const create = (email: string, token?: string) =>
    server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password }, ...(token ? { token } : {}) });

  it('lets the first account in, then only an admin can add people', async () => {
    const admin = await server.signUp('root@example.org', password);
    const stranger = await create('eve@example.org');
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json<ErrorBody>().error.kind).toBe('REGISTRATION_CLOSED');

    const byAdmin = await create('friend@example.org', admin.accessToken);
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json<AccountView>().isAdmin).toBe(false);

    const friend = await server.request({
      method: 'POST',
      url: '/v1/sessions',
      payload: { email: 'friend@example.org', password, deviceName: 'phone' },
    });
    const byFriend = await create('other@example.org', friend.json<{ accessToken: string }>().accessToken);
    expect(byFriend.statusCode).toBe(403);
    expect(byFriend.json<ErrorBody>().error.kind).toBe('REGISTRATION_CLOSED');
  });
});
