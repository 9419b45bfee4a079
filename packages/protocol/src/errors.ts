// Cause codes and error bodies: data, not classes, because they cross process boundaries as JSON.
import { z } from 'zod';

/** Why sync stopped: the stable strings of the public contract. */
export const CAUSES = {
  /** The account's storage quota is full. */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  /** No network at all. */
  NETWORK_OFFLINE: 'NETWORK_OFFLINE',
  /** A Wi-Fi sign-in page answers instead of the server. */
  NETWORK_CAPTIVE_PORTAL: 'NETWORK_CAPTIVE_PORTAL',
  /** The sync port is blocked while the probe port answers. */
  NETWORK_BLOCKED: 'NETWORK_BLOCKED',
  /** The server's name does not resolve. */
  DNS_FAILURE: 'DNS_FAILURE',
  /** The server's certificate is not trusted. */
  TLS_UNTRUSTED: 'TLS_UNTRUSTED',
  /** The session ran out; sign in again. */
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  /** The session was ended on purpose (password change, 2FA, sign-out, token reuse). */
  AUTH_REVOKED: 'AUTH_REVOKED',
  /** The device's clock disagrees with the server's. */
  CLOCK_SKEW: 'CLOCK_SKEW',
  /** The server is down or overloaded. */
  SERVER_UNAVAILABLE: 'SERVER_UNAVAILABLE',
  /** Too many requests; wait for Retry-After. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** This client speaks a protocol older than the server accepts. */
  CLIENT_OUTDATED: 'CLIENT_OUTDATED',
  /** The device's own disk is full. */
  LOCAL_STORAGE_FULL: 'LOCAL_STORAGE_FULL',
} as const;
export type Cause = (typeof CAUSES)[keyof typeof CAUSES];

/** Families group causes for people ("it's the network") and for remedies. */
export const FAMILIES = {
  storage: 'storage',
  network: 'network',
  auth: 'auth',
  clock: 'clock',
  server: 'server',
  device: 'device',
} as const;
export type Family = (typeof FAMILIES)[keyof typeof FAMILIES];

export const CAUSE_FAMILY: Readonly<Record<Cause, Family>> = {
  QUOTA_EXCEEDED: 'storage',
  NETWORK_OFFLINE: 'network',
  NETWORK_CAPTIVE_PORTAL: 'network',
  NETWORK_BLOCKED: 'network',
  DNS_FAILURE: 'network',
  TLS_UNTRUSTED: 'network',
  AUTH_EXPIRED: 'auth',
  AUTH_REVOKED: 'auth',
  CLOCK_SKEW: 'clock',
  SERVER_UNAVAILABLE: 'server',
  RATE_LIMITED: 'server',
  CLIENT_OUTDATED: 'server',
  LOCAL_STORAGE_FULL: 'device',
};

/** Why a session ended; carried by AUTH_REVOKED / AUTH_EXPIRED answers. */
export const AUTH_REASONS = {
  /** The account's password was changed on another device. */
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  /** Two-factor authentication was turned on on another device. */
  TWO_FACTOR_ENABLED: 'TWO_FACTOR_ENABLED',
  /** This session was signed out (by itself, another device, or "sign out everywhere"). */
  SIGNED_OUT: 'SIGNED_OUT',
  /** The refresh token ran out: sign in again. */
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  /** An already-used refresh token was presented, so the session was ended to be safe. */
  TOKEN_REUSED: 'TOKEN_REUSED',
  /** Only the short-lived access token ran out: refresh it, no person needed. */
  ACCESS_TOKEN_EXPIRED: 'ACCESS_TOKEN_EXPIRED',
} as const;
export type AuthReason = (typeof AUTH_REASONS)[keyof typeof AUTH_REASONS];

/** Every kind of error the API answers with. Match on `kind`, never on HTTP status alone. */
export const ERROR_KINDS = {
  ...CAUSES,
  /** The request's shape or values are wrong; `issues` says where. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The body is larger than the route accepts. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A batch has more items or bytes than the documented limits. */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /** No credentials, or credentials this server never issued. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Wrong email or password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** Two-factor authentication is on: send the 6-digit code too. */
  OTP_REQUIRED: 'OTP_REQUIRED',
  /** The two-factor code is wrong or stale. */
  OTP_INVALID: 'OTP_INVALID',
  /** Signed in, but not allowed to do this. */
  FORBIDDEN: 'FORBIDDEN',
  /** Nothing with that id (or not yours). */
  NOT_FOUND: 'NOT_FOUND',
  /** The email already has an account. */
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  /** This server does not accept new accounts; ask its admin. */
  REGISTRATION_CLOSED: 'REGISTRATION_CLOSED',
  /** The change token is older than the server's history: resync from scratch. */
  CHANGE_TOKEN_EXPIRED: 'CHANGE_TOKEN_EXPIRED',
  /** An upload's bytes do not hash to the announced SHA-256, or its offset is wrong. */
  UPLOAD_MISMATCH: 'UPLOAD_MISMATCH',
  /** The requested byte range cannot be served. */
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  /** A bug on the server; the request id finds it in the log. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorKind = (typeof ERROR_KINDS)[keyof typeof ERROR_KINDS];

/** The one error body every non-2xx answer carries: `{ error: {...} }`. */
export const errorBodySchema = z.object({
  error: z
    .object({
      kind: z.enum(Object.values(ERROR_KINDS) as [ErrorKind, ...ErrorKind[]]),
      message: z.string(),
      /** AUTH_REVOKED / AUTH_EXPIRED */
      reason: z.enum(Object.values(AUTH_REASONS) as [AuthReason, ...AuthReason[]]).optional(),
      /** QUOTA_EXCEEDED */
      usedBytes: z.number().optional(),
      quotaBytes: z.number().optional(),
      neededBytes: z.number().optional(),
      /** CLOCK_SKEW: the server's clock (ms since epoch) and how far the client's is off (ms, client − server). */
      serverTime: z.number().optional(),
      offsetMs: z.number().optional(),
      /** RATE_LIMITED / SERVER_UNAVAILABLE: seconds to wait (also the Retry-After header). */
      retryAfterSeconds: z.number().optional(),
      /** CLIENT_OUTDATED */
      minProtocol: z.number().optional(),
      /** BAD_REQUEST: where the input is wrong. */
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      /** BATCH_TOO_LARGE / PAYLOAD_TOO_LARGE: the limit that was crossed. */
      limit: z.number().optional(),
      requestId: z.string().optional(),
    })
    .loose(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type ErrorDetails = Omit<ErrorBody['error'], 'kind' | 'message'>;

/** An error with a wire body; thrown on the server, rebuilt from JSON on the client. */
export class NimbusError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;
  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'NimbusError';
    this.kind = kind;
    this.details = details;
  }
  toBody(): ErrorBody {
    return { error: { kind: this.kind, message: this.message, ...this.details } };
  }
}

/** True for any value that looks like a NimbusError, even one from another copy of this module. */
export function isNimbusError(value: unknown): value is NimbusError {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'NimbusError' && 'kind' in value;
}
