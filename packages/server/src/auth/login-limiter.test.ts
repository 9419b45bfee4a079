import { LOGIN_LIMITS, type ErrorBody } from '@nimbus/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/each-database.js';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { addressKey } from './login-limiter.js';

const password = 'correct horse battery';

describeEachDatabase('failed sign-in limits', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(kind);
  });
  afterEach(async () => server.close());

  const login = (email: string, pass: string, remoteAddress = '127.0.0.1') =>
    server.request({ method: 'POST', url: '/v1/sessions', payload: { email, password: pass, deviceName: 'x' }, remoteAddress });

  it('stops an account after 50 failures in an hour with 429 and Retry-After, and lets it in after the window', async () => {
    await server.signUp('lou@example.org', password);
    // Spread over addresses, so only the account counter fills.
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) {
      expect((await login('lou@example.org', 'wrong password', `127.10.${i}.1`)).statusCode).toBe(401);
    }
    server.clock.advance(10 * 60_000);
    const limited = await login('lou@example.org', password, '127.9.9.9');
    expect(limited.statusCode).toBe(429);
    const error = limited.json<ErrorBody>().error;
    expect(error.kind).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBe(50 * 60);
    expect(limited.headers['retry-after']).toBe(String(50 * 60));
    // Other accounts are not affected.
    await server.signUp('max@example.org', password);
    expect((await login('max@example.org', password, '127.9.9.9')).statusCode).toBe(200);

    server.clock.advance(50 * 60_000);
    expect((await login('lou@example.org', password, '127.9.9.9')).statusCode).toBe(200);
  });

  it('counts per client address across emails; a success does not reset it', async () => {
    await server.signUp('ned@example.org', password);
    // Fill the address counter to one short of the limit directly (a hundred KDF runs prove nothing more).
    await server.ctx.store.db
      .insertInto('login_attempts')
      .values({ key: addressKey('127.1.1.1'), window_start: server.clock.now(), failures: LOGIN_LIMITS.perAddress - 2 })
      .execute();
    expect((await login('unknown-1@example.org', 'guess guess', '127.1.1.1')).statusCode).toBe(401);
    expect((await login('ned@example.org', password, '127.1.1.1')).statusCode).toBe(200);
    expect((await login('unknown-2@example.org', 'guess guess', '127.1.1.1')).statusCode).toBe(401);
    const limited = await login('ned@example.org', password, '127.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('3600');
    // Another address is fine.
    expect((await login('ned@example.org', password, '127.2.2.2')).statusCode).toBe(200);
  });

  it('limits unknown emails the same way, so the limit reveals nothing', async () => {
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) await login('ghost@example.org', 'guess guess', `127.3.${i}.1`);
    expect((await login('ghost@example.org', 'guess guess', '127.4.0.1')).statusCode).toBe(429);
  });
});
