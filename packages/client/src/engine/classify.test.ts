import { NimbusError, syncFailureSchema, type Cause, type SyncFailure } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { classify, classifyUnanswered, describeItemError, RETRY_QUIETLY, UnexpectedAnswerError, type ClassifyContext, type ProbeResult } from './classify.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const ctx = (extra: Partial<ClassifyContext> = {}): ClassifyContext => ({ now: NOW, ...extra });
const nodeError = (code: string, message = code, extra: object = {}): Error => Object.assign(new Error(message), { code, ...extra });
/** How undici's fetch reports a connection failure: TypeError('fetch failed') with the system error as cause. */
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });
const probe = (mainPort: ProbeResult['mainPort'], probePort: ProbeResult['probePort'] = 'off', extra: Partial<ProbeResult> = {}): ProbeResult => ({
  mainPort,
  probePort,
  ...extra,
});

function failureOf(result: ReturnType<typeof classify>): SyncFailure {
  if (result === RETRY_QUIETLY) throw new Error('expected a failure, got retry-quietly');
  expect(syncFailureSchema.parse(result)).toEqual(result); // always the public contract's shape
  return result;
}
const causeOf = (error: unknown, c: ClassifyContext = ctx()): Cause | typeof RETRY_QUIETLY => {
  const result = classify(error, c);
  return result === RETRY_QUIETLY ? result : failureOf(result).cause;
};

describe('classify: answers from our server', () => {
  it('QUOTA_EXCEEDED carries the figures, the heavy services and the storage remedies', () => {
    const f = failureOf(classify(new NimbusError('QUOTA_EXCEEDED', 'full', { usedBytes: 5e9, quotaBytes: 5e9 }), ctx()));
    expect(f).toMatchObject({ code: 'SYNC_FAIL', cause: 'QUOTA_EXCEEDED', family: 'storage', usedBytes: 5e9, quotaBytes: 5e9 });
    expect(f.message).toContain('Storage full (5.0 GB of 5.0 GB used)');
    expect(f.message).toContain('contacts, notes and passwords keep syncing');
    expect(f.affects).toEqual(['photos', 'drive', 'backups']);
    expect(f.remedies.map((r) => r.id)).toEqual(['manage-storage', 'delete-old-backups', 'disable-heavy-services', 'ask-for-more-space']);
  });

  it('QUOTA_EXCEEDED in the essential lane affects the essential services too', () => {
    const f = failureOf(classify(new NimbusError('QUOTA_EXCEEDED', 'full'), ctx({ lane: 'essential' })));
    expect(f.affects).toContain('contacts');
    expect(f.message).not.toContain('keep syncing');
  });

  it('reads the wire body as well as a NimbusError, and an HTTP error carrying it', () => {
    const body = { error: { kind: 'AUTH_REVOKED', message: 'revoked', reason: 'PASSWORD_CHANGED' } };
    for (const error of [body, { status: 401, body }, fetchFailed(body)]) {
      const f = failureOf(classify(error, ctx()));
      expect(f).toMatchObject({ cause: 'AUTH_REVOKED', family: 'auth', reason: 'PASSWORD_CHANGED' });
      expect(f.message).toContain('password was changed');
      expect(f.remedies).toEqual([expect.objectContaining({ id: 'sign-in', command: 'nimbus login' })]);
    }
  });

  it('an expired access token is retried quietly; an expired session pauses', () => {
    expect(classify(new NimbusError('AUTH_EXPIRED', 'x', { reason: 'ACCESS_TOKEN_EXPIRED' }), ctx())).toBe(RETRY_QUIETLY);
    const f = failureOf(classify(new NimbusError('AUTH_EXPIRED', 'x', { reason: 'SESSION_EXPIRED' }), ctx()));
    expect(f).toMatchObject({ cause: 'AUTH_EXPIRED', reason: 'SESSION_EXPIRED' });
    expect(causeOf(new NimbusError('AUTH_REVOKED', 'x', { reason: 'TWO_FACTOR_ENABLED' }))).toBe('AUTH_REVOKED');
  });

  it('RATE_LIMITED and SERVER_UNAVAILABLE honour retryAfterSeconds', () => {
    const r = failureOf(classify(new NimbusError('RATE_LIMITED', 'slow', { retryAfterSeconds: 120 }), ctx()));
    expect(r).toMatchObject({ cause: 'RATE_LIMITED', family: 'server', retryAt: NOW + 120_000 });
    expect(r.message).toContain('2 minutes');
    const s = failureOf(classify(new NimbusError('SERVER_UNAVAILABLE', 'down', { retryAfterSeconds: 30 }), ctx()));
    expect(s).toMatchObject({ cause: 'SERVER_UNAVAILABLE', retryAt: NOW + 30_000 });
  });

  it('CLOCK_SKEW says by how much, in hours or days', () => {
    const f = failureOf(classify(new NimbusError('CLOCK_SKEW', 'skew', { offsetMs: 3 * 86_400_000 }), ctx()));
    expect(f).toMatchObject({ cause: 'CLOCK_SKEW', family: 'clock', offsetMs: 3 * 86_400_000 });
    expect(f.message).toContain('3 days ahead of');
    const g = failureOf(classify(new NimbusError('CLOCK_SKEW', 'skew', { serverTime: NOW + 5 * 3_600_000 }), ctx()));
    expect(g.message).toContain('5 hours behind');
    expect(g.remedies[0]?.id).toBe('set-clock-automatically');
  });

  it('CLIENT_OUTDATED asks for an update; item-level kinds are not causes', () => {
    expect(failureOf(classify(new NimbusError('CLIENT_OUTDATED', 'old', { minProtocol: 2 }), ctx())).remedies[0]?.id).toBe('update-nimbus');
    for (const kind of ['BAD_REQUEST', 'NOT_FOUND', 'UPLOAD_MISMATCH', 'INTERNAL', 'CHANGE_TOKEN_EXPIRED'] as const) {
      expect(classify(new NimbusError(kind, 'x'), ctx())).toBe(RETRY_QUIETLY);
    }
  });
});

describe('classify: HTTP answers that are not ours', () => {
  it('502/503/504 are SERVER_UNAVAILABLE, with Retry-After from headers', () => {
    for (const status of [502, 503, 504]) expect(causeOf({ status })).toBe('SERVER_UNAVAILABLE');
    const f = failureOf(classify({ status: 503, headers: new Headers({ 'retry-after': '45' }) }, ctx()));
    expect(f.retryAt).toBe(NOW + 45_000);
    const date = new Date(NOW + 90_000).toUTCString();
    expect(failureOf(classify({ status: 503, headers: { 'retry-after': date } }, ctx())).retryAt).toBe(NOW + 90_000);
  });

  it('429 without a body is RATE_LIMITED, 426 CLIENT_OUTDATED', () => {
    expect(failureOf(classify({ status: 429, headers: { 'retry-after': '10' } }, ctx())).retryAt).toBe(NOW + 10_000);
    expect(causeOf({ status: 426 })).toBe('CLIENT_OUTDATED');
  });

  it('a redirect to another host, a 511 or an HTML page is a captive portal, with its URL', () => {
    const f = failureOf(classify({ status: 302, location: 'http://portal.example/login' }, ctx()));
    expect(f).toMatchObject({ cause: 'NETWORK_CAPTIVE_PORTAL', portalUrl: 'http://portal.example/login' });
    expect(f.message).toContain('This Wi-Fi needs a sign-in page');
    expect(f.remedies[0]).toMatchObject({ id: 'open-portal', text: expect.stringContaining('http://portal.example/login') });
    expect(causeOf({ status: 511 })).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(causeOf({ status: 403, contentType: 'text/html; charset=utf-8' })).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(causeOf(new UnexpectedAnswerError('HTML instead of JSON', { status: 200, contentType: 'text/html' }))).toBe('NETWORK_CAPTIVE_PORTAL');
    const g = failureOf(classify(new UnexpectedAnswerError('redirect', { status: 302, location: 'http://10.0.0.1/' }), ctx()));
    expect(g.portalUrl).toBe('http://10.0.0.1/');
  });

  it("the API client's TransportError: a status without our body is a wrong answer, a code is a connection failure", () => {
    class TransportError extends Error {
      override readonly name = 'TransportError';
      constructor(message: string, readonly url: string, readonly code: string | undefined, readonly status: number | undefined, options?: { cause?: unknown }) {
        super(message, options);
      }
    }
    const url = 'http://127.0.0.1:7070/v1/records';
    expect(causeOf(new TransportError('not a Nimbus answer', url, undefined, 200))).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(causeOf(new TransportError('not a Nimbus answer', url, undefined, 404))).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(causeOf(new TransportError('HTTP 502', url, undefined, 502))).toBe('SERVER_UNAVAILABLE');
    expect(causeOf(new TransportError('HTTP 429', url, undefined, 429))).toBe('RATE_LIMITED');
    expect(causeOf(new TransportError('odd', url, undefined, 200), ctx({ probe: probe('ok', 'ok') }))).toBe(RETRY_QUIETLY);
    const refused = new TransportError('cannot reach', url, 'ECONNREFUSED', undefined, { cause: fetchFailed(nodeError('ECONNREFUSED')) });
    expect(causeOf(refused)).toBe('SERVER_UNAVAILABLE');
    expect(causeOf(new TransportError('cannot reach', url, 'ENOTFOUND', undefined))).toBe('DNS_FAILURE');
    expect(causeOf(new TransportError('cannot reach', url, 'CERT_HAS_EXPIRED', undefined), ctx({ serverTimeOffsetMs: -86_400_000 * 400 }))).toBe('CLOCK_SKEW');
  });

  it('a 4xx JSON answer that is not ours is left to the item logic', () => {
    expect(classify({ status: 404, contentType: 'application/json' }, ctx())).toBe(RETRY_QUIETLY);
  });
});

describe('classifyUnanswered: a request still waiting, judged by a probe taken meanwhile', () => {
  const unanswered = (p: ProbeResult): Cause | typeof RETRY_QUIETLY => {
    const result = classifyUnanswered(p, ctx());
    return result === RETRY_QUIETLY ? result : failureOf(result).cause;
  };

  it('our server answers the probe: slow, not gone — nothing to name, the request keeps its deadline', () => {
    expect(unanswered(probe('ok', 'ok'))).toBe(RETRY_QUIETLY);
    expect(unanswered(probe('ok'))).toBe(RETRY_QUIETLY);
  });

  it('names what the probe proves: a black hole, a blocked port, a portal, a server gone, a name gone', () => {
    expect(unanswered(probe('timeout', 'timeout'))).toBe('NETWORK_OFFLINE');
    expect(unanswered(probe('timeout'))).toBe('NETWORK_OFFLINE');
    expect(unanswered(probe('timeout', 'ok'))).toBe('NETWORK_BLOCKED');
    expect(unanswered(probe('portal', 'portal', { portalUrl: 'http://portal.example/login' }))).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(unanswered(probe('ok', 'portal'))).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(unanswered(probe('refused', 'refused'))).toBe('SERVER_UNAVAILABLE');
    expect(unanswered(probe('unavailable', 'ok'))).toBe('SERVER_UNAVAILABLE');
    expect(unanswered(probe('dns-error'))).toBe('DNS_FAILURE');
  });
});

describe('classify: the network, with and without a probe', () => {
  it('DNS errors are DNS_FAILURE and name the host', () => {
    const f = failureOf(classify(fetchFailed(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND nimbus.example', { hostname: 'nimbus.example' })), ctx()));
    expect(f).toMatchObject({ cause: 'DNS_FAILURE', family: 'network' });
    expect(f.message).toContain('nimbus.example');
    expect(f.remedies[0]).toMatchObject({ id: 'set-dns', command: 'nimbus config set dns 1.1.1.1,8.8.8.8' });
    expect(causeOf(fetchFailed(nodeError('EAI_AGAIN')))).toBe('DNS_FAILURE');
  });

  it('ECONNREFUSED is SERVER_UNAVAILABLE, or NETWORK_BLOCKED when the probe port answers', () => {
    expect(causeOf(fetchFailed(nodeError('ECONNREFUSED')))).toBe('SERVER_UNAVAILABLE');
    expect(causeOf(fetchFailed(nodeError('ECONNREFUSED')), ctx({ probe: probe('refused', 'ok') }))).toBe('NETWORK_BLOCKED');
    expect(causeOf(fetchFailed(nodeError('ECONNREFUSED')), ctx({ probe: probe('ok', 'ok') }))).toBe(RETRY_QUIETLY);
  });

  it('finds codes inside AggregateError (happy eyeballs tries several addresses)', () => {
    const agg = new AggregateError([nodeError('ECONNREFUSED'), nodeError('ECONNREFUSED')], 'all failed');
    expect(causeOf(fetchFailed(agg))).toBe('SERVER_UNAVAILABLE');
  });

  it('timeouts, resets and unreachable nets are NETWORK_OFFLINE unless the probe disagrees', () => {
    for (const code of ['ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH']) {
      expect(causeOf(fetchFailed(nodeError(code)))).toBe('NETWORK_OFFLINE');
      expect(causeOf(fetchFailed(nodeError(code)), ctx({ probe: probe('timeout', 'timeout') }))).toBe('NETWORK_OFFLINE');
    }
    expect(causeOf(fetchFailed(nodeError('ETIMEDOUT')), ctx({ probe: probe('timeout', 'ok') }))).toBe('NETWORK_BLOCKED');
    expect(causeOf(fetchFailed(nodeError('ECONNRESET')), ctx({ probe: probe('portal', 'portal', { portalUrl: 'http://p/' }) }))).toBe('NETWORK_CAPTIVE_PORTAL');
    expect(causeOf(fetchFailed(nodeError('ECONNRESET')), ctx({ probe: probe('ok') }))).toBe(RETRY_QUIETLY);
    expect(causeOf(new DOMException('timed out', 'TimeoutError'))).toBe('NETWORK_OFFLINE');
    expect(classify(new DOMException('aborted', 'AbortError'), ctx())).toBe(RETRY_QUIETLY);
  });

  it('a probe-reported portal URL reaches the failure and its remedy', () => {
    const f = failureOf(classify(fetchFailed(nodeError('ETIMEDOUT')), ctx({ probe: probe('timeout', 'portal', { portalUrl: 'http://wifi.hotel/' }) })));
    expect(f.portalUrl).toBe('http://wifi.hotel/');
    expect(f.remedies[0]?.text).toContain('http://wifi.hotel/');
  });
});

describe('classify: TLS and the clock', () => {
  const expired = () => fetchFailed(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'));
  it('an expired certificate with a clock days off is CLOCK_SKEW with the offset', () => {
    const f = failureOf(classify(expired(), ctx({ probe: probe('tls-error', 'ok', { serverTime: NOW - 3 * 86_400_000 }) })));
    expect(f).toMatchObject({ cause: 'CLOCK_SKEW', offsetMs: 3 * 86_400_000 });
    expect(f.message).toContain('3 days ahead of');
    const g = failureOf(classify(fetchFailed(nodeError('CERT_NOT_YET_VALID')), ctx({ serverTimeOffsetMs: 2 * 86_400_000 })));
    expect(g).toMatchObject({ cause: 'CLOCK_SKEW', offsetMs: -2 * 86_400_000 });
    expect(g.message).toContain('2 days behind');
  });

  it('an expired certificate with a right clock is TLS_UNTRUSTED', () => {
    expect(causeOf(expired(), ctx({ probe: probe('tls-error', 'ok', { serverTime: NOW + 60_000 }) }))).toBe('TLS_UNTRUSTED');
    expect(causeOf(expired())).toBe('TLS_UNTRUSTED');
  });

  it('untrusted certificates are TLS_UNTRUSTED, or a portal when the plain-HTTP probe shows one', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      const f = failureOf(classify(fetchFailed(nodeError(code)), ctx()));
      expect(f.cause).toBe('TLS_UNTRUSTED');
      expect(f.remedies.map((r) => r.id)).toContain('trust-server-ca');
      expect(causeOf(fetchFailed(nodeError(code)), ctx({ probe: probe('tls-error', 'portal') }))).toBe('NETWORK_CAPTIVE_PORTAL');
    }
  });
});

describe('classify: the device', () => {
  it('a full disk is LOCAL_STORAGE_FULL whatever the network says', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) {
      const f = failureOf(classify(nodeError(code, `${code}: no space left on device, write`), ctx({ probe: probe('timeout') })));
      expect(f).toMatchObject({ cause: 'LOCAL_STORAGE_FULL', family: 'device' });
      expect(f.remedies[0]?.id).toBe('free-local-space');
    }
  });

  it('unknown errors, non-errors and cyclic causes are retried quietly, never thrown', () => {
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    for (const e of [new Error('boom'), 'string', 42, null, undefined, cyclic]) expect(classify(e, ctx())).toBe(RETRY_QUIETLY);
  });

  it('describes an item error for the set-aside list', () => {
    expect(describeItemError(new NimbusError('BAD_REQUEST', 'data too big', { requestId: 'r1' }))).toBe('BAD_REQUEST: data too big (request r1)');
    expect(describeItemError(nodeError('EACCES', 'permission denied'))).toBe('EACCES: permission denied');
    expect(describeItemError('odd')).toBe('odd');
  });
});

describe('classify: real errors from Node', () => {
  it('a refused connection from fetch is SERVER_UNAVAILABLE', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await fetch(`http://127.0.0.1:${port}/`).then(() => null, (e: unknown) => e);
    expect(causeOf(error)).toBe('SERVER_UNAVAILABLE');
  });
});
