// The doctor's network checks, in order: server reachable (sync and probe ports), captive portal, DNS (system and
// configured), TLS, clock. Failures are named by the one classifier, so doctor and `status` say the same thing.
import { CLOCK_SKEW_TOLERANCE_MS, type SyncFailure } from '@nimbus/protocol';
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import tls from 'node:tls';
import { ConfiguredResolver } from '../dns/configured-lookup.js';
import { classify, RETRY_QUIETLY, type ProbeResult } from '../engine/classify.js';
import { formatClockOffset, formatDuration, remediesFor } from '../engine/remedies.js';
import { probeConnectivity, probeUrlFor } from '../net/connectivity-probe.js';
import { failed, failedFor, passed, warned, type DoctorCheck } from './doctor-check.js';

export interface NetworkInput {
  /** The server signed in to. */
  readonly server: string;
  /** A fetch through the device's resolver (the configured DNS servers when set), with a deadline. */
  readonly fetch: typeof fetch;
  readonly lookup: LookupFunction;
  readonly dnsServers: readonly string[];
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** What the probe saw, and the sync port's own error when it did not answer with our marker. */
interface Seen {
  readonly probe: ProbeResult;
  readonly mainError: unknown;
}

const portalSeen = (probe: ProbeResult): boolean => probe.mainPort === 'portal' || probe.probePort === 'portal';

/** The classifier's verdict on what was seen; a stand-in error when the sync port answered something else than our API. */
function verdict(seen: Seen, input: NetworkInput): SyncFailure | undefined {
  const ctx = { probe: seen.probe, now: input.now() };
  const stand = seen.probe.mainPort === 'portal' ? { status: 511 } : seen.probe.mainPort === 'unavailable' ? { status: 503 } : undefined;
  const first = classify(seen.mainError ?? stand ?? new Error('no answer'), ctx);
  if (first !== RETRY_QUIETLY) return first;
  return portalSeen(seen.probe) ? (classify({ status: 511 }, ctx) as SyncFailure) : undefined;
}

export async function runNetworkChecks(input: NetworkInput): Promise<DoctorCheck[]> {
  const seen = await look(input);
  const failure = seen.probe.mainPort === 'ok' ? undefined : verdict(seen, input);
  return [
    reachable(input, seen, failure),
    captivePortal(seen, input),
    ...(await dnsChecks(input)),
    await tlsCheck(input, seen),
    clock(input, seen),
  ];
}

async function look(input: NetworkInput): Promise<Seen> {
  const [probe, mainError] = await Promise.all([
    probeConnectivity({ server: input.server, fetch: input.fetch, timeoutMs: input.timeoutMs }),
    input.fetch(`${input.server}/v1/probe`, { redirect: 'manual', signal: AbortSignal.timeout(input.timeoutMs) }).then(
      async (response) => {
        await response.body?.cancel();
        return undefined;
      },
      (error: unknown) => error,
    ),
  ]);
  return { probe, mainError };
}

function reachable(input: NetworkInput, seen: Seen, failure: SyncFailure | undefined): DoctorCheck {
  const title = 'Server reachable';
  const probePort = new URL(probeUrlFor(input.server)).port;
  const side = seen.probe.probePort;
  if (seen.probe.mainPort === 'ok') {
    if (side === 'ok' || side === 'off') return passed('server-reachable', title, `${input.server} answers on its sync port${side === 'ok' ? ` and on its probe port ${probePort}` : ''}.`);
    return warned(
      'server-reachable',
      title,
      `${input.server} answers on its sync port, but not on its probe port ${probePort} (${side}): a blocked port can't be told from a dead server.`,
      `Let port ${probePort} through to the server (nimbus serve --probe-port).`,
    );
  }
  if (!failure) return failed('server-reachable', title, `${input.server} does not answer (${seen.probe.mainPort}).`, 'Check the server address and that the server runs.');
  return failedFor('server-reachable', title, { ...failure, message: `${input.server}: ${failure.message}` });
}

function captivePortal(seen: Seen, input: NetworkInput): DoctorCheck {
  const title = 'Captive portal';
  if (portalSeen(seen.probe)) {
    const failure = classify({ status: 511 }, { probe: seen.probe, now: input.now() }) as SyncFailure;
    return failedFor('captive-portal', title, failure);
  }
  if (seen.probe.mainPort !== 'ok' && seen.probe.probePort !== 'ok') return warned('captive-portal', title, 'Not checked: nothing answered on either port.');
  return passed('captive-portal', title, 'No sign-in page stands between this device and the server.');
}

const DNS_FIX = remediesFor('DNS_FAILURE')[0]?.text ?? null;

async function dnsChecks(input: NetworkInput): Promise<DoctorCheck[]> {
  const host = new URL(input.server).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    const detail = `The server is an IP address (${host}): nothing to look up.`;
    return [passed('dns-system', 'DNS (system resolver)', detail), passed('dns-configured', 'DNS (your servers)', detail)];
  }
  const [system, configured] = await Promise.all([
    withDeadline(systemLookup(host, { all: true }), input.timeoutMs).then(
      (answers) => ({ ok: true as const, text: answers.map((a) => a.address).join(', ') }),
      (error: unknown) => ({ ok: false as const, text: codeOf(error) }),
    ),
    input.dnsServers.length === 0
      ? undefined
      : new ConfiguredResolver(input.dnsServers, undefined, input.now, { systemFallback: false }).resolve(host).then(
          (answers) => ({ ok: true as const, text: answers.map((a) => a.address).join(', ') }),
          (error: unknown) => ({ ok: false as const, text: codeOf(error) }),
        ),
  ]);
  const servers = input.dnsServers.join(', ');
  const systemCheck = system.ok
    ? passed('dns-system', 'DNS (system resolver)', `${host} → ${system.text}.`)
    : configured?.ok
      ? warned('dns-system', 'DNS (system resolver)', `The system resolver can't look up ${host} (${system.text}); Nimbus uses your DNS servers (${servers}) instead.`)
      : failed('dns-system', 'DNS (system resolver)', `The system resolver can't look up ${host} (${system.text}).`, DNS_FIX, 'DNS_FAILURE');
  const configuredCheck =
    configured === undefined
      ? passed('dns-configured', 'DNS (your servers)', 'None set: the system resolver is used (nimbus config set dns sets others).')
      : configured.ok
        ? passed('dns-configured', 'DNS (your servers)', `${host} → ${configured.text} through ${servers}.`)
        : system.ok
          ? // Connections fall back to the system resolver, which works: worth knowing, not a failure.
            warned('dns-configured', 'DNS (your servers)', `Your DNS servers (${servers}) can't look up ${host} (${configured.text}); the system resolver does.`, 'Go back to the system resolver: nimbus config unset dns', 'DNS_FAILURE')
          : failed('dns-configured', 'DNS (your servers)', `Your DNS servers (${servers}) can't look up ${host} (${configured.text}).`, 'Use DNS servers that answer: nimbus config set dns 1.1.1.1,8.8.8.8', 'DNS_FAILURE');
  return [systemCheck, configuredCheck];
}

/** Certificate checks: the trust verdict of a TLS handshake through the device's resolver. */
async function tlsCheck(input: NetworkInput, seen: Seen): Promise<DoctorCheck> {
  const title = 'TLS';
  const url = new URL(input.server);
  if (url.protocol === 'http:') return passed('tls', title, 'The server is on plain HTTP: no certificate to check (traffic is not encrypted).');
  const handshake = await tlsHandshake(url, input);
  if ('error' in handshake) return warned('tls', title, `Not checked: no TLS connection (${handshake.error}).`);
  if (handshake.authorized) {
    const left = handshake.validTo - input.now();
    if (left < 14 * 86_400_000) return warned('tls', title, `The certificate is trusted but expires in ${formatDuration(left)}.`, "Tell your server's admin to renew its certificate.");
    return passed('tls', title, `The certificate of ${url.hostname} is trusted (valid until ${new Date(handshake.validTo).toISOString().slice(0, 10)}).`);
  }
  const failure = classify({ code: handshake.code }, { probe: seen.probe, now: input.now() });
  if (failure === RETRY_QUIETLY) return failed('tls', title, `The certificate is not trusted (${handshake.code}).`, remediesFor('TLS_UNTRUSTED')[0]?.text ?? null, 'TLS_UNTRUSTED');
  return failedFor('tls', title, { ...failure, message: `${failure.message} (${handshake.code})` });
}

type Handshake = { authorized: true; validTo: number } | { authorized: false; code: string } | { error: string };

function tlsHandshake(url: URL, input: NetworkInput): Promise<Handshake> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      lookup: input.lookup,
      timeout: input.timeoutMs,
    });
    const done = (answer: Handshake): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => {
      const reason = socket.authorizationError as unknown;
      if (socket.authorized) return done({ authorized: true, validTo: Date.parse(socket.getPeerCertificate().valid_to) });
      done({ authorized: false, code: typeof reason === 'string' ? reason : codeOf(reason) });
    });
    socket.once('timeout', () => done({ error: 'no answer' }));
    socket.once('error', (error) => done({ error: codeOf(error) }));
  });
}

function clock(input: NetworkInput, seen: Seen): DoctorCheck {
  const title = 'Clock';
  const serverTime = seen.probe.serverTime;
  if (serverTime === undefined) return warned('clock', title, "Not checked: the server's time could not be read.");
  const offset = input.now() - serverTime;
  const how = `This device's clock is ${formatClockOffset(offset)} the server's`;
  if (Math.abs(offset) > CLOCK_SKEW_TOLERANCE_MS) return failed('clock', title, `${how}: secure connections and sign-ins fail.`, remediesFor('CLOCK_SKEW')[0]?.text ?? null, 'CLOCK_SKEW');
  if (Math.abs(offset) > 60_000) return warned('clock', title, `${how} (tolerated up to ${formatDuration(CLOCK_SKEW_TOLERANCE_MS)}).`, remediesFor('CLOCK_SKEW')[0]?.text ?? null);
  return passed('clock', title, `Within ${formatDuration(Math.max(1000, Math.abs(offset)))} of the server's clock.`);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'EAI_AGAIN' })), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
