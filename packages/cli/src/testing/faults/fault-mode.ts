// The faults a FaultProxy can play, as data: a test switches between them at run time.
import type { ErrorKind } from '@nimbus/protocol';

/** Forward both ways untouched. */
export interface PassMode {
  readonly kind: 'pass';
}
/** Close the listener: new connections get ECONNREFUSED. Switching away listens again on the same port. */
export interface RefuseMode {
  readonly kind: 'refuse';
}
/** Accept, read, never answer and never forward: the client waits until its own timeout. */
export interface BlackholeMode {
  readonly kind: 'blackhole';
}
/** Forward, then cut the connection with a TCP RST after `afterBytes` of the server's answer ("reset mid-transfer"). */
export interface ResetMode {
  readonly kind: 'reset';
  readonly afterBytes: number;
}
/** Forward both ways at `bytesPerSecond` each way (a slow link). */
export interface SlowMode {
  readonly kind: 'slow';
  readonly bytesPerSecond: number;
}
/**
 * Act as a captive portal: answer every request on every path (the probe too) itself, with a redirect to
 * the portal's sign-in page (`redirect`, the default) or with that page directly (`page`, a 200 HTML answer).
 */
export interface PortalMode {
  readonly kind: 'portal';
  readonly answer?: 'redirect' | 'page';
  /** Where the redirect points; defaults to the proxy's own `/portal/login`, which answers the sign-in page. */
  readonly portalUrl?: string;
}
/**
 * Answer every request itself with an HTTP error status and `Retry-After` (an overloaded or rate-limiting server).
 * `nimbus` bodies are the server's JSON error body (with `retryAfterSeconds`); `plain` ones are what a load
 * balancer sends: text and the header only.
 */
export interface StatusMode {
  readonly kind: 'status';
  readonly status: number;
  /** Seconds, or an HTTP date. Left out: no Retry-After. */
  readonly retryAfter?: number | Date;
  /** Defaults to RATE_LIMITED for 429, SERVER_UNAVAILABLE otherwise. */
  readonly errorKind?: ErrorKind;
  readonly body?: 'nimbus' | 'plain';
}

export type FaultMode = PassMode | RefuseMode | BlackholeMode | ResetMode | SlowMode | PortalMode | StatusMode;
export type FaultModeKind = FaultMode['kind'];
/** Modes without options may be given by name. */
export type FaultModeInput = FaultMode | 'pass' | 'refuse' | 'blackhole' | 'portal';

export const FAULT_MODE_KINDS: readonly FaultModeKind[] = ['pass', 'refuse', 'blackhole', 'reset', 'slow', 'portal', 'status'];

export function toFaultMode(input: FaultModeInput): FaultMode {
  return typeof input === 'string' ? { kind: input } : input;
}

/** Modes where the bytes reach the real server. */
export function forwards(kind: FaultModeKind): boolean {
  return kind === 'pass' || kind === 'slow' || kind === 'reset';
}

/**
 * Whether a connection opened under `current` survives a switch to `next`. A fault must show at once, so a
 * switch to a fault drops every connection (keep-alive pools too); healing (to pass or slow) keeps the
 * healthy connections (pass, slow) in flight and drops the faulty ones.
 */
export function survivesSwitch(current: FaultModeKind, next: FaultModeKind): boolean {
  const healthy = (kind: FaultModeKind): boolean => kind === 'pass' || kind === 'slow';
  return healthy(next) && healthy(current);
}
