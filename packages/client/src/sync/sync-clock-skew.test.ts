// CLOCK_SKEW through the engine's clock port: a device clock days off makes TLS refuse the server's certificate
// (expired, or not valid yet); the probe's server time turns that into CLOCK_SKEW with the offset, the outbox waits,
// and once the clock is right the next pass sends it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, TransportError } from '../api-client.js';
import type { ProbeResult } from '../engine/classify.js';
import { bind, serverRecords, signUpDevice, startServer, type Device, type LiveServer } from '../testing/engine-harness.js';
import type { SyncTransport } from './ports.js';

const DAY_MS = 86_400_000;
/** The server's clock, which never moves in these tests. */
const SERVER_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

let live: LiveServer;
let device: Device | undefined;
let n = 0;

beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  await device?.close();
  device = undefined;
  await live.close();
});

/**
 * A device whose clock is `offsetMs` off the server's. While it is off by more than a day, every request fails the way
 * node's TLS does against a certificate valid from an hour ago to a day from now (expired ahead, not valid yet behind);
 * the probe's plain-HTTP port answers with the server's time.
 */
async function skewedDevice(email: string) {
  let offsetMs = 0;
  const clock = { now: () => SERVER_TIME + offsetMs };
  const tlsCode = (): string | undefined => (offsetMs > DAY_MS ? 'CERT_HAS_EXPIRED' : offsetMs < -3_600_000 ? 'CERT_NOT_YET_VALID' : undefined);
  const wrap = (inner: SyncTransport): SyncTransport => {
    const bound = bind(inner);
    return new Proxy(bound, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const code = tlsCode();
          if (code !== undefined) return Promise.reject(new TransportError(`cannot reach ${live.url}`, live.url, code, undefined));
          return (value as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
  };
  const probes: ProbeResult[] = [];
  const probe = async (): Promise<ProbeResult> => {
    const result: ProbeResult = { mainPort: tlsCode() ? 'tls-error' : 'ok', probePort: 'ok', serverTime: SERVER_TIME };
    probes.push(result);
    return result;
  };
  device = await signUpDevice(live, email, { clock, wrap, probe });
  return { device, probes, setOffset: (ms: number) => void (offsetMs = ms) };
}

describe('CLOCK_SKEW through the engine clock port', () => {
  it('3 days ahead: the expired-certificate failure is CLOCK_SKEW with the offset; set right, the outbox drains', async () => {
    const who = `skew${++n}@example.org`;
    const { device: d, probes, setOffset } = await skewedDevice(who);
    expect(await d.engine.runPass()).toMatchObject({ state: 'idle' });
    await d.write('Notes/waiting.txt', 'written while the clock was wrong');
    setOffset(3 * DAY_MS);

    const paused = await d.engine.runPass();
    expect(paused).toMatchObject({ state: 'paused', failure: { cause: 'CLOCK_SKEW', family: 'clock', offsetMs: 3 * DAY_MS } });
    expect(paused.failure?.message).toContain("This device's clock is 3 days ahead of the server's");
    expect(paused.failure?.remedies.map((r) => r.id)).toEqual(['set-clock-automatically']);
    expect(probes.length).toBeGreaterThan(0);
    expect(d.engine.status()).toMatchObject({ state: 'paused', failure: { cause: 'CLOCK_SKEW' }, pending: { notes: 1 } });
    expect(await serverRecords(live, who, 'notes')).toEqual([]);

    setOffset(0);
    expect(await d.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 1 });
    expect((await serverRecords(live, who, 'notes')).map((r) => r.data?.['text'])).toEqual(['written while the clock was wrong']);
  });

  it('2 days behind: the not-yet-valid certificate is CLOCK_SKEW, "2 days behind"', async () => {
    const { device: d, setOffset } = await skewedDevice(`skew${++n}@example.org`);
    expect(await d.engine.runPass()).toMatchObject({ state: 'idle' });
    await d.write('Notes/later.txt', 'behind');
    setOffset(-2 * DAY_MS);
    const paused = await d.engine.runPass();
    expect(paused).toMatchObject({ state: 'paused', failure: { cause: 'CLOCK_SKEW', offsetMs: -2 * DAY_MS } });
    expect(paused.failure?.message).toContain("This device's clock is 2 days behind the server's");
  });

  it('over plain HTTP a clock 3 days off blocks nothing: sign-in and refresh go on by the server time', async () => {
    const who = `skew${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email: who, password: 'a long test password' } });
    for (const offset of [3 * DAY_MS, -3 * DAY_MS]) {
      // No TLS here: the server's CLOCK_SKEW answer tells the API client the offset, which it then goes by.
      const client = new ApiClient({ server: live.url, now: () => Date.now() + offset });
      await client.login({ email: who, password: 'a long test password', deviceName: 'wrong clock' });
      await client.refresh();
      expect((await client.account()).email).toBe(who);
    }
  });
});
