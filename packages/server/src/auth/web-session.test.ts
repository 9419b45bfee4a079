// The dashboard's cookie session: httpOnly cookies, the CSRF header, the Origin check on writes, refresh, sign-out.
import type { AccountView, ErrorBody, SignInView, TwoFactorSetupResponse } from '@nimbus/protocol';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { currentTotp } from './totp.js';
import { WEB_COOKIES } from './web-cookies.js';

const password = 'correct horse battery';
const HOST = 'cloud.example.org';
const ORIGIN = `http://${HOST}`;
const SAME_SITE = { host: HOST, origin: ORIGIN, 'x-nimbus-csrf': '1' };

type Jar = Record<string, string>;

describeEachDatabase('web session (cookies)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind, { trustProxy: true });
  });
  afterEach(async () => server.close());

  const errorOf = (response: LightMyRequestResponse) => response.json<ErrorBody>().error;

  /** A request from the dashboard (or, with other headers, from a hostile page) carrying the cookie jar. */
  const browser = (jar: Jar, options: InjectOptions & { headers?: Record<string, string> }) =>
    server.request({ ...options, cookies: jar, headers: { ...SAME_SITE, ...options.headers } });

  function jarOf(response: LightMyRequestResponse, jar: Jar = {}): Jar {
    for (const cookie of response.cookies) {
      if (cookie.value === '' || (cookie.maxAge !== undefined && cookie.maxAge <= 0)) delete jar[cookie.name];
      else jar[cookie.name] = cookie.value;
    }
    return jar;
  }

  async function signIn(email = 'web@example.org', extra: Record<string, string> = {}): Promise<{ jar: Jar; response: LightMyRequestResponse }> {
    const response = await browser({}, { method: 'POST', url: '/v1/web/session', payload: { email, password, ...extra } });
    return { jar: jarOf(response), response };
  }

  it('signs in into httpOnly, SameSite=Strict cookies; the page never sees a token', async () => {
    await server.signUp('web@example.org', password);
    const { jar, response } = await signIn();
    expect(response.statusCode).toBe(200);
    expect(response.json<{ account: AccountView }>().account.email).toBe('web@example.org');
    expect(response.body).not.toMatch(/token/i);
    const cookies = Object.fromEntries(response.cookies.map((c) => [c.name, c]));
    for (const name of [WEB_COOKIES.access, WEB_COOKIES.refresh]) {
      expect(cookies[name]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(cookies[name]?.secure).toBeFalsy();
    }
    expect(cookies[WEB_COOKIES.access]?.path).toBe('/v1');
    expect(cookies[WEB_COOKIES.refresh]?.path).toBe('/v1/web/session');
    const me = await browser(jar, { method: 'GET', url: '/v1/account' });
    expect(me.statusCode).toBe(200);
    const devices = await browser(jar, { method: 'GET', url: '/v1/sessions' });
    expect(devices.json<{ devices: { deviceName: string; current: boolean }[] }>().devices.find((d) => d.current)?.deviceName).toBe('Web browser');
  });

  it('marks the cookies Secure when the page is served over HTTPS', async () => {
    await server.signUp('web@example.org', password);
    const response = await browser({}, {
      method: 'POST',
      url: '/v1/web/session',
      payload: { email: 'web@example.org', password },
      headers: { 'x-forwarded-proto': 'https', origin: `https://${HOST}` },
    });
    expect(response.statusCode).toBe(200);
    for (const cookie of response.cookies) expect(cookie.secure).toBe(true);
  });

  describe('CSRF', () => {
    it('refuses the cookie without the CSRF header (403), even on reads', async () => {
      await server.signUp('web@example.org', password);
      const { jar } = await signIn();
      const read = await server.request({ method: 'GET', url: '/v1/account', cookies: jar, headers: { host: HOST } });
      expect(read.statusCode).toBe(403);
      expect(errorOf(read).kind).toBe('FORBIDDEN');
      const write = await server.request({
        method: 'POST',
        url: '/v1/sessions/sign-out',
        cookies: jar,
        headers: { host: HOST, origin: ORIGIN },
        payload: { scope: 'all' },
      });
      expect(write.statusCode).toBe(403);
      // Nothing was signed out.
      expect((await browser(jar, { method: 'GET', url: '/v1/account' })).statusCode).toBe(200);
    });

    it('refuses a write whose Origin is another site, or absent', async () => {
      await server.signUp('web@example.org', password);
      const { jar } = await signIn();
      const change = (origin: string | undefined) =>
        server.request({
          method: 'POST',
          url: '/v1/account/password',
          cookies: jar,
          headers: { host: HOST, 'x-nimbus-csrf': '1', ...(origin === undefined ? {} : { origin }) },
          payload: { currentPassword: password, newPassword: 'a brand new passphrase' },
        });
      for (const origin of ['https://evil.example', `https://${HOST}`, `http://${HOST}:8080`, 'null', undefined]) {
        const refused = await change(origin);
        expect(refused.statusCode, String(origin)).toBe(403);
        expect(errorOf(refused).kind).toBe('FORBIDDEN');
      }
      expect((await change(ORIGIN)).statusCode).toBe(200);
    });

    it('refuses a sign-in from another site (login CSRF)', async () => {
      await server.signUp('web@example.org', password);
      const forged = await server.request({
        method: 'POST',
        url: '/v1/web/session',
        headers: { host: HOST, origin: 'https://evil.example', 'x-nimbus-csrf': '1' },
        payload: { email: 'web@example.org', password },
      });
      expect(forged.statusCode).toBe(403);
      expect(forged.cookies).toHaveLength(0);
      const noHeader = await server.request({
        method: 'POST',
        url: '/v1/web/session',
        headers: { host: HOST, origin: ORIGIN },
        payload: { email: 'web@example.org', password },
      });
      expect(noHeader.statusCode).toBe(403);
    });

    it('lets a bearer token through without any of it (devices are not browsers)', async () => {
      const device = await server.signUp('web@example.org', password);
      const me = await server.request({ method: 'GET', url: '/v1/account', token: device.accessToken, headers: { origin: 'https://evil.example' } });
      expect(me.statusCode).toBe(200);
    });
  });

  it('asks for the 2FA code, then signs in with it', async () => {
    const device = await server.signUp('web@example.org', password);
    const setup = (await server.request({ method: 'POST', url: '/v1/account/2fa/setup', token: device.accessToken })).json<TwoFactorSetupResponse>();
    const code = () => currentTotp(setup.secret, server.clock.now());
    expect((await server.request({ method: 'POST', url: '/v1/account/2fa/enable', token: device.accessToken, payload: { code: code() } })).statusCode).toBe(200);
    const first = await signIn();
    expect(first.response.statusCode).toBe(401);
    expect(errorOf(first.response).kind).toBe('OTP_REQUIRED');
    expect(first.response.cookies).toHaveLength(0);
    server.clock.advance(30_000);
    const second = await signIn('web@example.org', { otp: code() });
    expect(second.response.statusCode).toBe(200);
    expect(second.response.json<{ account: AccountView }>().account.twoFactorEnabled).toBe(true);
  });

  it('refreshes an expired access cookie from the refresh cookie, rotating both', async () => {
    await server.signUp('web@example.org', password);
    const { jar } = await signIn();
    const before = { ...jar };
    server.clock.advance(server.ctx.config.accessTtlMs + 1);
    const expired = await browser(jar, { method: 'GET', url: '/v1/account' });
    expect(errorOf(expired)).toMatchObject({ kind: 'AUTH_EXPIRED', reason: 'ACCESS_TOKEN_EXPIRED' });
    const refreshed = await browser(jar, { method: 'POST', url: '/v1/web/session/refresh', payload: {} });
    expect(refreshed.statusCode).toBe(200);
    jarOf(refreshed, jar);
    expect(jar[WEB_COOKIES.access]).not.toBe(before[WEB_COOKIES.access]);
    expect(jar[WEB_COOKIES.refresh]).not.toBe(before[WEB_COOKIES.refresh]);
    expect((await browser(jar, { method: 'GET', url: '/v1/account' })).statusCode).toBe(200);
    // The refresh route is a write too: another site cannot make the browser rotate its tokens.
    const forged = await browser(jar, { method: 'POST', url: '/v1/web/session/refresh', payload: {}, headers: { origin: 'https://evil.example' } });
    expect(forged.statusCode).toBe(403);
  });

  it('signs out: the session is revoked and the cookies cleared', async () => {
    await server.signUp('web@example.org', password);
    const { jar } = await signIn();
    const stolen = { ...jar };
    const out = await browser(jar, { method: 'DELETE', url: '/v1/web/session' });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ revokedSessions: 1 });
    jarOf(out, jar);
    expect(jar).toEqual({});
    // A copy of the old cookie is worthless now.
    const replay = await browser(stolen, { method: 'GET', url: '/v1/account' });
    expect(errorOf(replay)).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'SIGNED_OUT' });
    const refresh = await browser(stolen, { method: 'POST', url: '/v1/web/session/refresh', payload: {} });
    expect(errorOf(refresh).kind).toBe('AUTH_REVOKED');
  });

  it('lists recent sign-ins, ended ones included, only the caller’s own', async () => {
    const device = await server.signUp('web@example.org', password, 'laptop');
    const { jar } = await signIn();
    await browser(jar, { method: 'DELETE', url: '/v1/web/session' });
    await server.signUp('other@example.org', password, 'stranger');
    const list = await server.request({ method: 'GET', url: '/v1/account/sign-ins', token: device.accessToken });
    expect(list.statusCode).toBe(200);
    const signIns = list.json<{ signIns: SignInView[] }>().signIns;
    expect(signIns.map((s) => s.deviceName).sort()).toEqual(['Web browser', 'laptop']);
    expect(signIns.find((s) => s.deviceName === 'Web browser')).toMatchObject({ endedReason: 'SIGNED_OUT' });
    expect(signIns.find((s) => s.deviceName === 'laptop')).toMatchObject({ endedAt: null });
    expect((await server.request({ method: 'GET', url: '/v1/account/sign-ins' })).statusCode).toBe(401);
  });
});
