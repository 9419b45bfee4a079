// Throws generated garbage at every route of the API: never a 5xx, always a well-formed error body.
import { errorBodySchema } from '@nimbus/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../testing/test-server.js';

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('../../etc/passwd', '..%2F..%2F', '%00', 'con', ' ', '%', '\u202e', 'a'.repeat(5000), '0', '-1', '1e309', 'null'),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({ email: hostileText, password: hostileText, deviceName: hostileText, otp: hostileText }, { requiredKeys: [] }),
  fc.record({ writes: fc.array(fc.record({ zone: hostileText, id: hostileText, baseVersion: fc.anything(), data: fc.anything() }, { requiredKeys: [] }), { maxLength: 5 }) }),
  fc.record({ hashes: fc.array(hostileText, { maxLength: 5 }), sha256: hostileText, size: fc.oneof(fc.integer(), fc.double()), zone: hostileText }, { requiredKeys: [] }),
);

const rawBody = fc.oneof(hostileText, fc.constant('{"unterminated": '), fc.constant('\u0000\u0001'), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)));

const contentType = fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', undefined);

describe('every route survives generated garbage', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await createTestServer('sqlite');
    token = (await server.signUp('fuzz@example.org')).accessToken;
  });
  afterAll(() => server.close());

  it('knows the routes it is walking', () => {
    expect(server.routes.length).toBeGreaterThanOrEqual(15);
  });

  it('answers < 500 with a parsable error body, signed in or not', async () => {
    const routes = server.routes.filter((route) => route.url.startsWith('/v1/'));
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostileText, { minLength: 3, maxLength: 3 }),
          fc.oneof(jsonBody.map((value) => ({ json: value })), rawBody.map((value) => ({ raw: value }))),
          contentType,
          fc.boolean(),
          fc.dictionary(fc.constantFrom('since', 'zones', 'limit', 'x'), hostileText, { maxKeys: 3 }),
          async (params, body, type, signedIn, query) => {
            let i = 0;
            const url = route.url.replace(/:[A-Za-z]+/g, () => encodeURIComponent(params[i++] ?? 'x'));
            const payload = 'json' in body ? JSON.stringify(body.json) : body.raw;
            const response = await server.request({
              method: route.method as 'GET',
              url,
              query,
              ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload }),
              headers: type ? { 'content-type': type } : {},
              ...(signedIn ? { token } : {}),
            });
            const where = `${route.method} ${route.url} → ${response.statusCode} ${response.body.slice(0, 300)}`;
            expect(response.statusCode, where).toBeLessThan(500);
            if (response.statusCode >= 400) {
              expect(errorBodySchema.safeParse(response.json()).success, where).toBe(true);
            }
          },
        ),
        { numRuns: 25 },
      );
    }
    const health = await server.request({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok' });
  });
});
