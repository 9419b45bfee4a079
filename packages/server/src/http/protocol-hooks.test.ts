import { HEADERS, PROTOCOL_VERSION } from '@nimbus/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../testing/test-server.js';

describe('protocol hooks: the minimum client protocol', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves clients of this protocol by default', async () => {
    server = await createTestServer('sqlite');
    const { accessToken } = await server.signUp();
    expect((await server.request({ method: 'GET', url: '/v1/account', token: accessToken })).statusCode).toBe(200);
  });

  it("answers 426 CLIENT_OUTDATED with the minimum when the operator requires a newer protocol than the client's", async () => {
    server = await createTestServer('sqlite', { minClientProtocol: PROTOCOL_VERSION + 1 });
    // Refused before anything else, signing in included.
    const answer = await server.request({ method: 'POST', url: '/v1/sessions', payload: { email: 'old@example.org', password: 'old client here' } });
    expect(answer.statusCode).toBe(426);
    expect(answer.json()).toMatchObject({
      error: { kind: 'CLIENT_OUTDATED', minProtocol: PROTOCOL_VERSION + 1, message: expect.stringContaining('update Nimbus') },
    });
    // Browsers and curl send no protocol header: they are not told to update.
    const plain = await server.app.inject({ method: 'GET', url: '/v1/probe' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers[HEADERS.serverTime]).toBeDefined();
  });
});
