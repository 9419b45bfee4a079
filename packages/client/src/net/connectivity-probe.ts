// The connectivity probe: GET /v1/probe on the sync port and on the plain-HTTP probe port tells a portal, a blocked port and a dead link apart.
import { probeResponse } from '@nimbus/protocol';
import { DNS_CODES, type ProbeResult, type ProbeStatus } from '../engine/classify.js';
import { normalizeServerUrl } from '../api-client.js';

export interface ProbeOptions {
  /** The server's URL (the sync port), as signed in. */
  readonly server: string;
  /** The plain-HTTP probe port's base URL; defaults to `probeUrlFor(server)`; null: the server has none. */
  readonly probeUrl?: string | null;
  /** Each probe gives up after this long (a black hole). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** How long one probe waits: short, it runs while a person waits for the cause. */
export const PROBE_TIMEOUT_MS = 3_000;

/**
 * The probe port by convention: plain HTTP on the same host, one port above the sync port (the server's
 * `--probe-port` default; see README's configuration reference).
 */
export function probeUrlFor(server: string): string {
  const url = new URL(normalizeServerUrl(server));
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return `http://${url.host.replace(/:\d+$/, '')}:${port + 1}`;
}

/** Probes both ports at once; never throws. */
export async function probeConnectivity(options: ProbeOptions): Promise<ProbeResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const server = normalizeServerUrl(options.server);
  const probeUrl = options.probeUrl === undefined ? probeUrlFor(server) : options.probeUrl;
  const [main, side] = await Promise.all([
    probeOne(`${server}/v1/probe`, fetchImpl, timeoutMs),
    probeUrl === null ? undefined : probeOne(`${probeUrl.replace(/\/+$/, '')}/v1/probe`, fetchImpl, timeoutMs),
  ]);
  const serverTime = main.serverTime ?? side?.serverTime;
  const portalUrl = main.portalUrl ?? side?.portalUrl;
  return {
    mainPort: main.status,
    probePort: side?.status ?? 'off',
    ...(serverTime === undefined ? {} : { serverTime }),
    ...(portalUrl === undefined ? {} : { portalUrl }),
  };
}

interface PortAnswer {
  status: ProbeStatus;
  serverTime?: number;
  portalUrl?: string;
}

async function probeOne(url: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<PortAnswer> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { status: failedStatus(error) };
  }
  const text = await response.text().catch(() => '');
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    return location ? { status: 'portal', portalUrl: new URL(location, url).toString() } : { status: 'portal' };
  }
  if (response.status === 200) {
    const parsed = probeResponse.safeParse(parseJson(text));
    // Anything but our marker on a 200 is someone else's page: a portal's.
    return parsed.success ? { status: 'ok', serverTime: parsed.data.serverTime } : { status: 'portal' };
  }
  if (response.status === 511) return { status: 'portal' };
  if (/html/i.test(response.headers.get('content-type') ?? '') && response.status < 500) return { status: 'portal' };
  return { status: 'unavailable' };
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME|ALTNAME|EPROTO/;

/** How a probe that got no answer failed, from the system error under fetch's TypeError. */
function failedStatus(error: unknown): ProbeStatus {
  for (let current: unknown = error, depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
    if (typeof code === 'string') {
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
      if (DNS_CODES.has(code)) return 'dns-error';
      if (TLS_CODE.test(code)) return 'tls-error';
      if (code.includes('TIMEOUT') || code === 'ETIMEDOUT') return 'timeout';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'timeout';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
