import { HEADERS, type DeviceView, type ErrorBody, type LoginResponse, type SessionTokens } from '@nimbus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { REFRESH_REUSE_GRACE_MS } from './session-service.js';

const password = 'correct horse battery';

describeEachDatabase('sessions', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind);
  });
  afterEach(async () => server.close());

  const login = (email: string, pass = password, deviceName = 'laptop', extra: Record<string, string> = {}) =>
    server.request({ method: 'POST', url: '/v1/sessions', payload: { email, password: pass, deviceName, ...extra } });
  const refresh = (refreshToken: string) => server.request({ method: 'POST', url: '/v1/sessions/refresh', payload: { refreshToken } });
  const me = (token: string) => server.request({ method: 'GET', url: '/v1/account', token });
  const errorOf = (response: { json: <T>() => T }) => response.json<ErrorBody>().error;

  describe('sign-in', () => {
    it('signs in with the right password and records the device', async () => {
      await server.signUp('amy@example.org', password);
      const ok = await login('AMY@example.org', password, 'work laptop', {});
      expect(ok.statusCode).toBe(200);
      const body = ok.json<LoginResponse>();
      expect(body.account.email).toBe('amy@example.org');
      expect(body.accessExpiresAt).toBe(server.clock.now() + server.ctx.config.accessTtlMs);
      expect(body.refreshExpiresAt).toBe(server.clock.now() + server.ctx.config.refreshTtlMs);
      expect((await me(body.accessToken)).statusCode).toBe(200);
      const list = await server.request({ method: 'GET', url: '/v1/sessions', token: body.accessToken });
      const devices = list.json<{ devices: DeviceView[] }>().devices;
      expect(devices).toHaveLength(2);
      expect(devices.find((d) => d.current)).toMatchObject({ deviceName: 'work laptop', ip: '127.0.0.1' });
    });

    it('answers the same INVALID_CREDENTIALS for a wrong password and an unknown email', async () => {
      await server.signUp('ben@example.org', password);
      const wrong = await login('ben@example.org', 'not the password');
      const unknown = await login('nobody@example.org', 'not the password');
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(errorOf(wrong).kind).toBe('INVALID_CREDENTIALS');
      expect(errorOf(unknown).message).toBe(errorOf(wrong).message);
    });

    it('refuses a client whose clock is far off with CLOCK_SKEW', async () => {
      await server.signUp('cal@example.org', password);
      const skewed = await server.request({
        method: 'POST',
        url: '/v1/sessions',
        payload: { email: 'cal@example.org', password, deviceName: 'old phone' },
        headers: { [HEADERS.clientTime]: String(server.clock.now() - 3 * 3_600_000) },
      });
      expect(skewed.statusCode).toBe(400);
      expect(errorOf(skewed).kind).toBe('CLOCK_SKEW');
    });
  });

  describe('tokens', () => {
    it('rotates both tokens on refresh; reusing the old refresh token revokes the session', async () => {
      const first = await server.signUp('dan@example.org', password);
      const r1 = await refresh(first.refreshToken);
      expect(r1.statusCode).toBe(200);
      const second = r1.json<SessionTokens>();
      expect(second.sessionId).toBe(first.sessionId);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      // The rotated-away access token no longer works; the new one does.
      expect(errorOf(await me(first.accessToken))).toMatchObject({ kind: 'AUTH_EXPIRED', reason: 'ACCESS_TOKEN_EXPIRED' });
      expect((await me(second.accessToken)).statusCode).toBe(200);

      // Well after the rotation (a lost answer is retried within the grace): the old token is a leaked copy.
      server.clock.advance(REFRESH_REUSE_GRACE_MS + 1);
      const reused = await refresh(first.refreshToken);
      expect(reused.statusCode).toBe(401);
      expect(errorOf(reused)).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'TOKEN_REUSED' });
      // The whole session is gone, for the thief and for the owner.
      expect(errorOf(await me(second.accessToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'TOKEN_REUSED' });
      expect(errorOf(await refresh(second.refreshToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'TOKEN_REUSED' });
    });

    it('a refresh retried with the old token just after its answer was lost gets new tokens; the session lives on', async () => {
      const first = await server.signUp('ava@example.org', password);
      const lost = (await refresh(first.refreshToken)).json<SessionTokens>(); // the device never sees this answer
      server.clock.advance(5_000);
      const retried = await refresh(first.refreshToken);
      expect(retried.statusCode).toBe(200);
      const tokens = retried.json<SessionTokens>();
      expect(tokens.refreshToken).not.toBe(lost.refreshToken);
      expect((await me(tokens.accessToken)).statusCode).toBe(200);
      expect((await refresh(tokens.refreshToken)).statusCode).toBe(200);
    });

    it('rejects made-up tokens with UNAUTHENTICATED', async () => {
      const session = await server.signUp('eli@example.org', password);
      expect(errorOf(await refresh('garbage')).kind).toBe('UNAUTHENTICATED');
      expect(errorOf(await refresh(`${session.sessionId}.AAAAAAAAAAAA`)).kind).toBe('UNAUTHENTICATED');
      expect(errorOf(await me('nope.nope')).kind).toBe('UNAUTHENTICATED');
      expect((await server.request({ method: 'GET', url: '/v1/account' })).statusCode).toBe(401);
    });

    it('expires the access token (AUTH_EXPIRED / ACCESS_TOKEN_EXPIRED), then refresh works', async () => {
      const session = await server.signUp('fay@example.org', password);
      server.clock.advance(server.ctx.config.accessTtlMs + 1);
      const expired = await me(session.accessToken);
      expect(expired.statusCode).toBe(401);
      expect(errorOf(expired)).toMatchObject({ kind: 'AUTH_EXPIRED', reason: 'ACCESS_TOKEN_EXPIRED' });
      const renewed = await refresh(session.refreshToken);
      expect(renewed.statusCode).toBe(200);
      expect((await me(renewed.json<SessionTokens>().accessToken)).statusCode).toBe(200);
    });

    it('expires the session when the refresh token runs out (SESSION_EXPIRED)', async () => {
      const session = await server.signUp('gus@example.org', password);
      server.clock.advance(server.ctx.config.refreshTtlMs + 1);
      const expired = await refresh(session.refreshToken);
      expect(expired.statusCode).toBe(401);
      expect(errorOf(expired)).toMatchObject({ kind: 'AUTH_EXPIRED', reason: 'SESSION_EXPIRED' });
      expect(errorOf(await me(session.accessToken))).toMatchObject({ kind: 'AUTH_EXPIRED', reason: 'SESSION_EXPIRED' });
    });
  });

  describe('sign-out', () => {
    async function threeDevices() {
      const a = await server.signUp('hal@example.org', password, 'a');
      const b = (await login('hal@example.org', password, 'b')).json<LoginResponse>();
      const c = (await login('hal@example.org', password, 'c')).json<LoginResponse>();
      return { a, b, c };
    }

    it('signs out the current device', async () => {
      const { a, b } = await threeDevices();
      const out = await server.request({ method: 'POST', url: '/v1/sessions/sign-out', token: a.accessToken, payload: { scope: 'current' } });
      expect(out.json()).toEqual({ revokedSessions: 1 });
      expect(errorOf(await me(a.accessToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'SIGNED_OUT' });
      expect(errorOf(await refresh(a.refreshToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'SIGNED_OUT' });
      expect((await me(b.accessToken)).statusCode).toBe(200);
    });

    it('signs out the others, or everyone', async () => {
      const { a, b, c } = await threeDevices();
      const others = await server.request({ method: 'POST', url: '/v1/sessions/sign-out', token: a.accessToken, payload: { scope: 'others' } });
      expect(others.json()).toEqual({ revokedSessions: 2 });
      expect((await me(a.accessToken)).statusCode).toBe(200);
      expect(errorOf(await me(c.accessToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'SIGNED_OUT' });
      const d = (await login('hal@example.org', password, 'd')).json<LoginResponse>();
      const all = await server.request({ method: 'POST', url: '/v1/sessions/sign-out', token: d.accessToken, payload: { scope: 'all' } });
      expect(all.json()).toEqual({ revokedSessions: 2 });
      for (const s of [a, b, d]) expect(errorOf(await me(s.accessToken)).kind).toBe('AUTH_REVOKED');
    });

    it('signs out one device by id, and only the caller’s own', async () => {
      const { a, b } = await threeDevices();
      const stranger = await server.signUp('ivy@example.org', password);
      const notMine = await server.request({ method: 'DELETE', url: `/v1/sessions/${b.sessionId}`, token: stranger.accessToken });
      expect(notMine.statusCode).toBe(404);
      expect((await me(b.accessToken)).statusCode).toBe(200);
      expect((await server.request({ method: 'DELETE', url: '/v1/sessions/unknown', token: a.accessToken })).statusCode).toBe(404);

      const mine = await server.request({ method: 'DELETE', url: `/v1/sessions/${b.sessionId}`, token: a.accessToken });
      expect(mine.json()).toEqual({ revokedSessions: 1 });
      expect(errorOf(await me(b.accessToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'SIGNED_OUT' });
      const list = await server.request({ method: 'GET', url: '/v1/sessions', token: a.accessToken });
      expect(list.json<{ devices: DeviceView[] }>().devices.map((d) => d.deviceName).sort()).toEqual(['a', 'c']);
    });
  });

  describe('password change', () => {
    it('signs out every other device with PASSWORD_CHANGED and keeps this one', async () => {
      const here = await server.signUp('jo@example.org', password, 'here');
      const there = (await login('jo@example.org', password, 'there')).json<LoginResponse>();
      const wrong = await server.request({
        method: 'POST',
        url: '/v1/account/password',
        token: here.accessToken,
        payload: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(errorOf(wrong).kind).toBe('INVALID_CREDENTIALS');

      const changed = await server.request({
        method: 'POST',
        url: '/v1/account/password',
        token: here.accessToken,
        payload: { currentPassword: password, newPassword: 'a brand new passphrase' },
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toEqual({ revokedSessions: 1 });
      expect((await me(here.accessToken)).statusCode).toBe(200);
      const other = await me(there.accessToken);
      expect(other.statusCode).toBe(401);
      expect(errorOf(other)).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'PASSWORD_CHANGED' });
      expect(errorOf(await refresh(there.refreshToken))).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'PASSWORD_CHANGED' });

      expect(errorOf(await login('jo@example.org', password)).kind).toBe('INVALID_CREDENTIALS');
      expect((await login('jo@example.org', 'a brand new passphrase')).statusCode).toBe(200);
    });
  });
});
