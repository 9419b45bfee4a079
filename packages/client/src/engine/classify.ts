// THE classifier: every error the engine meets becomes one SyncFailure (or "retry quietly"). Nothing else decides causes.
import {
  CAUSE_FAMILY,
  CLOCK_SKEW_TOLERANCE_MS,
  errorBodySchema,
  isNimbusError,
  SERVICES,
  type AuthReason,
  type Cause,
  type ErrorBody,
  type SyncFailure,
} from '@nimbus/protocol';
import { affectedServices, type Lane } from './lanes.js';
import { formatBytes, formatClockOffset, formatDuration, listServices, remediesFor } from './remedies.js';

/**
 * What one port's probe saw: our marker (`ok`), or how it failed; `unavailable` is an error status that is
 * neither our marker nor a portal's page (a 503 from the server or its load balancer).
 */
export type ProbeStatus = 'ok' | 'refused' | 'timeout' | 'portal' | 'tls-error' | 'dns-error' | 'unavailable';

/** The connectivity probe's answer on the main (sync) port and the plain-HTTP probe port. */
export interface ProbeResult {
  readonly mainPort: ProbeStatus;
  /** `off` when the server has no probe port. */
  readonly probePort: ProbeStatus | 'off';
  /** The server's clock from the probe body, ms since epoch. */
  readonly serverTime?: number;
  /** Where a captive portal redirected to, when it did. */
  readonly portalUrl?: string;
}

export interface ClassifyContext {
  /** A fresh probe, taken after the failure; it overrides guesses from the error alone. */
  readonly probe?: ProbeResult;
  /** Server time − device time, ms, as last measured (server time = now + this). */
  readonly serverTimeOffsetMs?: number;
  /** The device's clock, ms since epoch. */
  readonly now: number;
  /** The lane whose request failed (QUOTA_EXCEEDED in the essential lane stops it too). */
  readonly lane?: Lane;
}

/** Not a cause: transient (a refreshable token, a blip the probe disproves, our own abort) or about one item only. */
export const RETRY_QUIETLY = 'retry-quietly';
export type Classification = SyncFailure | typeof RETRY_QUIETLY;

/**
 * The reply came from something that is not our server: HTML, JSON without our shape, or a
 * redirect to another host. The API client throws this (or any error with `code: 'UNEXPECTED_ANSWER'`).
 */
export class UnexpectedAnswerError extends Error {
  readonly code = 'UNEXPECTED_ANSWER';
  constructor(
    message: string,
    readonly answer: { readonly status?: number; readonly contentType?: string; readonly location?: string } = {},
  ) {
    super(message);
    this.name = 'UnexpectedAnswerError';
  }
}

/** System error codes of a name that could not be looked up. */
export const DNS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const OFFLINE_CODES = new Set([
  'ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH', 'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);
const CLOCK_TLS_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

type Fields = Partial<Pick<SyncFailure, 'retryAt' | 'usedBytes' | 'quotaBytes' | 'offsetMs' | 'reason' | 'portalUrl'>>;

function failure(cause: Cause, message: string, ctx: ClassifyContext, fields: Fields = {}): SyncFailure {
  const extra = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Fields;
  return {
    code: 'SYNC_FAIL',
    cause,
    family: CAUSE_FAMILY[cause],
    message,
    affects: affectedServices(cause, ctx.lane ? [ctx.lane] : []),
    remedies: remediesFor(cause, { portalUrl: fields.portalUrl }),
    ...extra,
  };
}

/** The error, its `cause` chain and AggregateError members, breadth first, without loops. */
function chain(error: unknown): object[] {
  const out: object[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 32) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || out.includes(next)) continue;
    out.push(next);
    const { cause, errors } = next as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return out;
}

const field = (o: object, key: string): unknown => (o as Record<string, unknown>)[key];
const str = (o: object, key: string): string | undefined => {
  const v = field(o, key);
  return typeof v === 'string' ? v : undefined;
};
const num = (o: object, key: string): number | undefined => {
  const v = field(o, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** A Nimbus error body found anywhere: a NimbusError, `{error: {...}}`, or an HTTP error carrying one as `body`. */
function nimbusBody(o: object): ErrorBody['error'] | undefined {
  if (isNimbusError(o)) return { ...o.details, kind: o.kind, message: o.message };
  for (const candidate of [o, field(o, 'body')]) {
    const parsed = errorBodySchema.safeParse(candidate);
    if (parsed.success) return parsed.data.error;
  }
  return undefined;
}

const portalOf = (probe: ProbeResult | undefined): boolean => probe?.mainPort === 'portal' || probe?.probePort === 'portal';

function captivePortal(ctx: ClassifyContext, url?: string): SyncFailure {
  const portalUrl = url ?? ctx.probe?.portalUrl;
  return failure(
    'NETWORK_CAPTIVE_PORTAL',
    `This Wi-Fi needs a sign-in page (captive portal): open ${portalUrl ?? 'any web page'} in a browser and sign in, then sync resumes by itself.`,
    ctx,
    { portalUrl },
  );
}

/** What the probe proves on its own about a connection failure, if anything. */
function fromProbe(ctx: ClassifyContext): Classification | undefined {
  const probe = ctx.probe;
  if (!probe) return undefined;
  if (portalOf(probe)) return captivePortal(ctx);
  if (probe.mainPort === 'ok') return RETRY_QUIETLY; // the server answers now: it was a blip
  if ((probe.mainPort === 'refused' || probe.mainPort === 'timeout') && probe.probePort === 'ok') {
    return failure(
      'NETWORK_BLOCKED',
      "This network blocks Nimbus's sync port (the server answers on its probe port); try another network.",
      ctx,
    );
  }
  if (probe.mainPort === 'dns-error') return dnsFailure(ctx);
  return undefined;
}

const dnsFailure = (ctx: ClassifyContext, host?: string): SyncFailure =>
  failure('DNS_FAILURE', `The server's name${host ? ` (${host})` : ''} can't be looked up (DNS); sync resumes once it resolves.`, ctx);

const offline = (ctx: ClassifyContext): SyncFailure =>
  failure('NETWORK_OFFLINE', 'This device is offline; sync resumes by itself when the network is back.', ctx);

const serverDown = (ctx: ClassifyContext, retryAt?: number): SyncFailure =>
  failure(
    'SERVER_UNAVAILABLE',
    `The Nimbus server is not answering right now; sync retries by itself${retryAt === undefined ? '' : ` in ${formatDuration(retryAt - ctx.now)}`}.`,
    ctx,
    { retryAt },
  );

/** Client − server clock offset, from the probe's server time or the last measured offset. */
function clockOffset(ctx: ClassifyContext, stated?: number): number | undefined {
  if (stated !== undefined) return stated;
  if (ctx.probe?.serverTime !== undefined) return ctx.now - ctx.probe.serverTime;
  if (ctx.serverTimeOffsetMs !== undefined) return -ctx.serverTimeOffsetMs;
  return undefined;
}

function clockSkew(ctx: ClassifyContext, offsetMs: number | undefined): SyncFailure {
  const how = offsetMs === undefined ? 'wrong' : `${formatClockOffset(offsetMs)} the server's`;
  return failure(
    'CLOCK_SKEW',
    `This device's clock is ${how}, so secure connections fail; set the date and time automatically and sync resumes by itself.`,
    ctx,
    { offsetMs },
  );
}

const AUTH_TEXT: Readonly<Record<AuthReason, string>> = {
  PASSWORD_CHANGED: "This device was signed out because the account's password was changed",
  TWO_FACTOR_ENABLED: 'This device was signed out because two-factor authentication was turned on',
  SIGNED_OUT: 'This device was signed out from another device',
  SESSION_EXPIRED: 'Your session on this device expired',
  TOKEN_REUSED: 'This session was ended to be safe because its sign-in token was used twice',
  ACCESS_TOKEN_EXPIRED: 'Your session on this device expired',
};

/** An answer from our own server: its kind is the cause (or not a cause at all). */
function fromBody(body: ErrorBody['error'], ctx: ClassifyContext): Classification {
  const retryAt = body.retryAfterSeconds === undefined ? undefined : ctx.now + body.retryAfterSeconds * 1000;
  switch (body.kind) {
    case 'QUOTA_EXCEEDED': {
      const { usedBytes, quotaBytes } = body;
      const figures = usedBytes !== undefined && quotaBytes !== undefined ? ` (${formatBytes(usedBytes)} of ${formatBytes(quotaBytes)} used)` : '';
      const waiting = affectedServices('QUOTA_EXCEEDED', ctx.lane ? [ctx.lane] : []);
      const going = SERVICES.filter((s) => !waiting.includes(s));
      const rest = going.length > 0 ? `; ${listServices(going)} keep syncing` : '';
      return failure('QUOTA_EXCEEDED', `Storage full${figures}: ${listServices(waiting)} wait until you free space${rest}.`, ctx, {
        usedBytes,
        quotaBytes,
      });
    }
    case 'AUTH_EXPIRED':
    case 'UNAUTHENTICATED': {
      if (body.reason === 'ACCESS_TOKEN_EXPIRED') return RETRY_QUIETLY; // the client refreshes by itself
      const reason = body.reason ?? 'SESSION_EXPIRED';
      return failure('AUTH_EXPIRED', `${AUTH_TEXT[reason]}; sign in again — nothing pending is lost.`, ctx, { reason });
    }
    case 'AUTH_REVOKED': {
      const reason = body.reason ?? 'SIGNED_OUT';
      return failure('AUTH_REVOKED', `${AUTH_TEXT[reason]}; sign in again — nothing pending is lost.`, ctx, { reason });
    }
    case 'CLOCK_SKEW':
      return clockSkew(ctx, clockOffset(ctx, body.offsetMs ?? (body.serverTime === undefined ? undefined : ctx.now - body.serverTime)));
    case 'RATE_LIMITED': {
      const at = retryAt ?? ctx.now + 60_000;
      return failure('RATE_LIMITED', `The server asked Nimbus to slow down; sync resumes by itself in ${formatDuration(at - ctx.now)}.`, ctx, { retryAt: at });
    }
    case 'SERVER_UNAVAILABLE':
      return serverDown(ctx, retryAt);
    case 'CLIENT_OUTDATED':
      return failure('CLIENT_OUTDATED', 'This version of Nimbus is too old for the server; update Nimbus to resume syncing.', ctx);
    case 'NETWORK_CAPTIVE_PORTAL':
      return captivePortal(ctx);
    case 'NETWORK_OFFLINE':
      return offline(ctx);
    case 'NETWORK_BLOCKED':
    case 'DNS_FAILURE':
    case 'TLS_UNTRUSTED':
    case 'LOCAL_STORAGE_FULL':
      return failure(body.kind, body.message, ctx);
    default:
      return RETRY_QUIETLY; // about one request or item: the outbox retries, then sets it aside with describeItemError
  }
}

/** Seconds from a Retry-After value (delta seconds or an HTTP date). */
function retryAfterMs(value: unknown, now: number): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function header(o: object, name: string): unknown {
  const headers = field(o, 'headers');
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>)[name] : undefined;
}

/** An HTTP answer without our error body: proxies, load balancers and portals. */
function fromHttpStatus(o: object, status: number, ctx: ClassifyContext): Classification {
  const wait = retryAfterMs(num(o, 'retryAfterSeconds') ?? str(o, 'retryAfter') ?? header(o, 'retry-after'), ctx.now);
  const retryAt = wait === undefined ? undefined : ctx.now + wait;
  // A portal answers every path with its own page or status: the probe saw it too.
  if (portalOf(ctx.probe) && status !== 429) return captivePortal(ctx, str(o, 'location'));
  if (status === 429) return fromBody({ kind: 'RATE_LIMITED', message: '', ...(wait === undefined ? {} : { retryAfterSeconds: wait / 1000 }) }, ctx);
  if (status === 502 || status === 503 || status === 504) return serverDown(ctx, retryAt);
  if (status === 511) return captivePortal(ctx, str(o, 'location'));
  if (status === 426) return fromBody({ kind: 'CLIENT_OUTDATED', message: '' }, ctx);
  if (status === 407) return failure('NETWORK_BLOCKED', 'A proxy on this network wants a sign-in before Nimbus can reach the server.', ctx);
  if (status >= 300 && status < 400) {
    const location = str(o, 'location') ?? header(o, 'location');
    return captivePortal(ctx, typeof location === 'string' ? location : undefined);
  }
  if (status >= 500) return serverDown(ctx, retryAt);
  // A 4xx that is not our JSON came from something else on the path (a portal's page).
  const contentType = str(o, 'contentType') ?? header(o, 'content-type');
  if (typeof contentType === 'string' && /html/i.test(contentType)) return captivePortal(ctx);
  return RETRY_QUIETLY;
}

/**
 * The answer's facts when `o` says "something that is not our API answered": our UnexpectedAnswerError,
 * or the API client's TransportError carrying an HTTP status.
 */
function wrongAnswer(o: object): { status?: number; location?: string } | undefined {
  if (str(o, 'code') === 'UNEXPECTED_ANSWER' || str(o, 'name') === 'UnexpectedAnswerError') {
    const answer = field(o, 'answer');
    const facts = typeof answer === 'object' && answer !== null ? answer : o;
    const status = num(facts, 'status');
    const location = str(facts, 'location');
    return { ...(status === undefined ? {} : { status }), ...(location === undefined ? {} : { location }) };
  }
  const status = num(o, 'status');
  if (str(o, 'name') === 'TransportError' && status !== undefined) {
    const location = str(o, 'location');
    return location === undefined ? { status } : { status, location };
  }
  return undefined;
}

/** Not our JSON: a portal, unless the status says the server (or a proxy for it) is busy, or the probe proves our server answers. */
function fromWrongAnswer(o: object, answer: { status?: number; location?: string }, ctx: ClassifyContext): Classification {
  const { status } = answer;
  if (status !== undefined && (status === 429 || status === 426 || status === 407 || status >= 500)) return fromHttpStatus(o, status, ctx);
  if (ctx.probe?.mainPort === 'ok' && !portalOf(ctx.probe)) return RETRY_QUIETLY; // our server answers the probe: not a portal
  return captivePortal(ctx, answer.location);
}

/**
 * Turns any error into the one cause a person sees, or RETRY_QUIETLY. Order: proofs from our own
 * server first (a Nimbus error body), then the device (disk), then the network, where a fresh probe
 * overrides what the error alone suggests.
 */
export function classify(error: unknown, ctx: ClassifyContext): Classification {
  const links = chain(error);
  for (const link of links) {
    const body = nimbusBody(link);
    if (body) return fromBody(body, ctx);
  }
  const codes = links.map((link) => str(link, 'code')).filter((c): c is string => c !== undefined);
  if (codes.some((c) => DISK_FULL_CODES.has(c))) {
    return failure('LOCAL_STORAGE_FULL', "This device's disk is full, so downloads wait; free some space and sync resumes by itself.", ctx);
  }
  for (const link of links) {
    const answer = wrongAnswer(link);
    if (answer) return fromWrongAnswer(link, answer, ctx);
    const status = num(link, 'status') ?? num(link, 'statusCode');
    if (status !== undefined && status >= 300) return fromHttpStatus(link, status, ctx);
  }
  for (const link of links) {
    const code = str(link, 'code');
    const name = str(link, 'name');
    if (code !== undefined && CLOCK_TLS_CODES.has(code)) {
      const offset = clockOffset(ctx);
      if (offset !== undefined && Math.abs(offset) > CLOCK_SKEW_TOLERANCE_MS) return clockSkew(ctx, offset);
      if (portalOf(ctx.probe)) return captivePortal(ctx);
      return tlsUntrusted(ctx, code);
    }
    if (code !== undefined && TLS_CODES.has(code)) return portalOf(ctx.probe) ? captivePortal(ctx) : tlsUntrusted(ctx, code);
    if (code !== undefined && DNS_CODES.has(code)) {
      return portalOf(ctx.probe) ? captivePortal(ctx) : dnsFailure(ctx, str(link, 'hostname'));
    }
    if (code === 'ECONNREFUSED') return fromProbe(ctx) ?? serverDown(ctx);
    if ((code !== undefined && OFFLINE_CODES.has(code)) || name === 'TimeoutError') return fromProbe(ctx) ?? offline(ctx);
    if (name === 'AbortError') return RETRY_QUIETLY; // our own cancellation (shutdown, a newer pass)
  }
  return RETRY_QUIETLY;
}

/** What a request made now would meet, from how the probe's own request to the sync port ended. */
const UNANSWERED_AS: Readonly<Record<ProbeStatus, object>> = {
  ok: { name: 'TimeoutError' },
  timeout: { name: 'TimeoutError' },
  portal: { name: 'TimeoutError' },
  refused: { code: 'ECONNREFUSED' },
  'dns-error': { code: 'ENOTFOUND' },
  'tls-error': { code: 'EPROTO' },
  unavailable: { status: 503 },
};

/**
 * A request that is still waiting for its answer, judged by a probe taken while it waits: the cause the probe
 * proves (a black hole, a portal, a blocked port, a server gone), or RETRY_QUIETLY while our server answers the
 * probe — slow, not gone, so the request keeps its whole deadline.
 */
export function classifyUnanswered(probe: ProbeResult, ctx: Omit<ClassifyContext, 'probe'>): Classification {
  if (probe.mainPort === 'ok' && !portalOf(probe)) return RETRY_QUIETLY;
  return classify(UNANSWERED_AS[probe.mainPort], { ...ctx, probe });
}

function tlsUntrusted(ctx: ClassifyContext, code: string): SyncFailure {
  const why = CLOCK_TLS_CODES.has(code) ? ` (${code === 'CERT_HAS_EXPIRED' ? 'it has expired' : 'it is not valid yet'})` : '';
  return failure(
    'TLS_UNTRUSTED',
    `The server's certificate is not trusted${why}, so Nimbus sends nothing; this network may be intercepting secure connections.`,
    ctx,
  );
}

/** A short reason for an item the outbox sets aside after it kept failing the same way. */
export function describeItemError(error: unknown): string {
  for (const link of chain(error)) {
    const body = nimbusBody(link);
    if (body) return `${body.kind}: ${body.message}${body.requestId ? ` (request ${body.requestId})` : ''}`;
  }
  const first = chain(error)[0];
  if (first === undefined) return String(error);
  const code = str(first, 'code');
  const message = str(first, 'message') ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
