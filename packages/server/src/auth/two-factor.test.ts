import type { AccountView, ErrorBody, LoginResponse, TwoFactorSetupResponse } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { currentTotp } from './totp.js';

const password = 'correct horse battery';

describeEachDatabase('two-factor authentication', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind);
  });
  afterEach(async () => server.close());

  const login = (extra: Record<string, string> = {}, deviceName = 'phone') =>
    server.request({ method: 'POST', url: '/v1/sessions', payload: { email: 'kim@example.org', password, deviceName, ...extra } });
  const me = (token: string) => server.request({ method: 'GET', url: '/v1/account', token });
  const errorOf = (response: { json: <T>() => T }) => response.json<ErrorBody>().error;

  async function enable(token: string): Promise<string> {
    const setup = await server.request({ method: 'POST', url: '/v1/account/2fa/setup', token });
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUri, qrSvg } = setup.json<TwoFactorSetupResponse>();
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Nimbus:kim%40example\.org\?/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(qrSvg).toContain('<svg');
    const wrong = await server.request({ method: 'POST', url: '/v1/account/2fa/enable', token, payload: { code: '000000' } });
    if (currentTotp(secret, server.clock.now()) !== '000000') expect(errorOf(wrong).kind).toBe('OTP_INVALID');
    const ok = await server.request({
      method: 'POST',
      url: '/v1/account/2fa/enable',
      token,
      payload: { code: currentTotp(secret, server.clock.now()) },
    });
    expect(ok.statusCode).toBe(200);
    return secret;
  }

  it('turning it on signs out every other device with TWO_FACTOR_ENABLED', async () => {
    const here = await server.signUp('kim@example.org', password, 'laptop');
    const there = (await login()).json<LoginResponse>();
    await enable(here.accessToken);
    expect((await me(here.accessToken)).json<AccountView>().twoFactorEnabled).toBe(true);
    const other = await me(there.accessToken);
    expect(other.statusCode).toBe(401);
    expect(errorOf(other)).toMatchObject({ kind: 'AUTH_REVOKED', reason: 'TWO_FACTOR_ENABLED' });
  });

  it('then sign-in needs a current code: OTP_REQUIRED, OTP_INVALID, ok', async () => {
    const here = await server.signUp('kim@example.org', password, 'laptop');
    const secret = await enable(here.accessToken);
    const missing = await login();
    expect(missing.statusCode).toBe(401);
    expect(errorOf(missing).kind).toBe('OTP_REQUIRED');
    server.clock.advance(30_000); // the enrolment used this step's code
    const code = currentTotp(secret, server.clock.now());
    const wrongCode = code === '123456' ? '654321' : '123456';
    expect(errorOf(await login({ otp: wrongCode })).kind).toBe('OTP_INVALID');
    // A wrong password with a right code is still just wrong credentials.
    const wrongPassword = await server.request({
      method: 'POST',
      url: '/v1/sessions',
      payload: { email: 'kim@example.org', password: 'nope nope nope', otp: code, deviceName: 'x' },
    });
    expect(errorOf(wrongPassword).kind).toBe('INVALID_CREDENTIALS');
    expect((await login({ otp: code })).statusCode).toBe(200);
    // A code is good once, even within its window.
    expect(errorOf(await login({ otp: code })).kind).toBe('OTP_INVALID');
    // One step of drift is accepted (an authenticator a little ahead); two are not.
    const now = server.clock.now();
    expect((await login({ otp: currentTotp(secret, now + 30_000) })).statusCode).toBe(200);
    expect(errorOf(await login({ otp: currentTotp(secret, now + 90_000) })).kind).toBe('OTP_INVALID');
  });

  it('turning it off needs the password and a code', async () => {
    const here = await server.signUp('kim@example.org', password, 'laptop');
    const secret = await enable(here.accessToken);
    server.clock.advance(30_000); // the enrolment used this step's code
    const code = currentTotp(secret, server.clock.now());
    const disable = (payload: object) => server.request({ method: 'POST', url: '/v1/account/2fa/disable', token: here.accessToken, payload });
    expect(errorOf(await disable({ password: 'wrong password', code })).kind).toBe('INVALID_CREDENTIALS');
    expect(errorOf(await disable({ password, code: code === '111111' ? '222222' : '111111' })).kind).toBe('OTP_INVALID');
    const off = await disable({ password, code });
    expect(off.statusCode).toBe(200);
    expect(off.json<AccountView>().twoFactorEnabled).toBe(false);
    expect((await login()).statusCode).toBe(200);
  });

  it('refuses enable without setup, and a second setup once on', async () => {
    const here = await server.signUp('kim@example.org', password, 'laptop');
    const early = await server.request({ method: 'POST', url: '/v1/account/2fa/enable', token: here.accessToken, payload: { code: '123456' } });
    expect(early.statusCode).toBe(400);
    await enable(here.accessToken);
    const again = await server.request({ method: 'POST', url: '/v1/account/2fa/setup', token: here.accessToken });
    expect(again.statusCode).toBe(400);
  });
});
