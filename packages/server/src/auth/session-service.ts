// Sessions: sign in (password, then TOTP), refresh with rotation and reuse detection, list devices, sign out.
import {
  NimbusError,
  type DeviceView,
  type LoginResponse,
  type SessionTokens,
  type LoginCredentials,
  type SignInView,
  type SignOutScope,
} from '@nimbus/protocol';
import type { AuthDeps } from './account-service.js';
import { findAccountByEmail, toAccountView } from './account-store.js';
import { revokedError, type AuthContext } from './guard.js';
import { LoginLimiter } from './login-limiter.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import { findSession, insertSession, listDevices, listSignIns, revokeSessions, rotateSession } from './session-store.js';
import { parseToken, secretMatches } from './tokens.js';
import { claimTotpStep, verifyTotp } from './totp.js';

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

const INVALID = 'wrong email or password';

export async function login(ctx: AuthDeps, input: LoginCredentials, client: ClientInfo): Promise<LoginResponse> {
  const db = ctx.store.db;
  const limiter = new LoginLimiter(db, ctx.clock);
  const limits = limiter.limitsFor(input.email, client.ip);
  await limiter.assertAllowed(limits);
  const account = await findAccountByEmail(db, input.email);
  if (!account) {
    await burnPasswordCheck(input.password);
    await limiter.recordFailure(limits);
    throw new NimbusError('INVALID_CREDENTIALS', INVALID);
  }
  if (!(await verifyPassword(account.password_hash, input.password))) {
    await limiter.recordFailure(limits);
    throw new NimbusError('INVALID_CREDENTIALS', INVALID);
  }
  if (account.totp_secret !== null) {
    if (input.otp === undefined) {
      throw new NimbusError('OTP_REQUIRED', 'two-factor authentication is on: send the 6-digit code from your authenticator app');
    }
    const step = verifyTotp(account.totp_secret, input.otp, ctx.clock.now());
    if (step === null || !(await claimTotpStep(db, account.id, step))) {
      await limiter.recordFailure(limits);
      throw new NimbusError('OTP_INVALID', 'the two-factor code is wrong or has run out: use the current code');
    }
  }
  await limiter.clearAccount(input.email);
  const tokens = await insertSession(
    db,
    { accountId: account.id, deviceName: input.deviceName, ip: client.ip, userAgent: client.userAgent },
    ctx.clock.now(),
    ctx.config,
  );
  return { ...tokens, account: toAccountView(account) };
}

/**
 * A device whose refresh answer was lost (a timeout, a dropped link) tries again with the token that refresh replaced.
 * Within this long of the rotation that is taken for the same device, not a leaked copy: it gets new tokens (as with
 * Auth0's "reuse interval"). Later, the old token means a copy leaked.
 */
export const REFRESH_REUSE_GRACE_MS = 60_000;

/** Rotates both tokens. An already-rotated refresh token means a copy leaked: the session ends (TOKEN_REUSED). */
export async function refresh(ctx: AuthDeps, refreshToken: string): Promise<SessionTokens> {
  const db = ctx.store.db;
  const parsed = parseToken(refreshToken);
  const unknown = new NimbusError('UNAUTHENTICATED', 'the refresh token is not one this server issued: sign in again');
  if (!parsed) throw unknown;
  const now = ctx.clock.now();
  // Twice at most: a refresh that loses a race with another one using the same token looks again (now as the old token).
  for (let attempt = 0; attempt < 2; attempt++) {
    const row = await findSession(db, parsed.sessionId);
    if (!row) throw unknown;
    if (row.revoked_at !== null) throw revokedError(row.revoked_reason);
    const current = secretMatches(parsed.secret, row.refresh_hash);
    if (!current && !secretMatches(parsed.secret, row.prev_refresh_hash)) throw unknown;
    if (row.refresh_expires_at <= now) {
      throw new NimbusError('AUTH_EXPIRED', 'this session ran out: sign in again', { reason: 'SESSION_EXPIRED' });
    }
    // The access token's lifetime starts at the rotation: that tells how long ago the old token was replaced.
    const rotatedAt = row.access_expires_at - ctx.config.accessTtlMs;
    if (!current && now - rotatedAt > REFRESH_REUSE_GRACE_MS) break;
    const tokens = await rotateSession(db, row, now, ctx.config);
    if (tokens) return tokens;
  }
  const row = await findSession(db, parsed.sessionId);
  if (row) await revokeSessions(db, { accountId: row.account_id, only: row.id }, 'TOKEN_REUSED', now);
  throw revokedError('TOKEN_REUSED');
}

export function devices(ctx: AuthDeps, auth: AuthContext): Promise<DeviceView[]> {
  return listDevices(ctx.store.db, auth.accountId, auth.sessionId, ctx.clock.now());
}

/** How many sign-ins the Security page lists. */
const RECENT_SIGN_INS = 20;

export function recentSignIns(ctx: AuthDeps, auth: AuthContext): Promise<SignInView[]> {
  return listSignIns(ctx.store.db, auth.accountId, RECENT_SIGN_INS);
}

/** Signs out one of the caller's own devices; anything else is NOT_FOUND (ids of other accounts do not exist for you). */
export async function signOutDevice(ctx: AuthDeps, auth: AuthContext, sessionId: string): Promise<{ revokedSessions: number }> {
  const revoked = await revokeSessions(ctx.store.db, { accountId: auth.accountId, only: sessionId }, 'SIGNED_OUT', ctx.clock.now());
  if (revoked === 0) throw new NimbusError('NOT_FOUND', 'no signed-in device with that id');
  return { revokedSessions: revoked };
}

export async function signOut(ctx: AuthDeps, auth: AuthContext, scope: SignOutScope): Promise<{ revokedSessions: number }> {
  const base = { accountId: auth.accountId };
  const target = scope === 'current' ? { ...base, only: auth.sessionId } : scope === 'others' ? { ...base, except: auth.sessionId } : base;
  return { revokedSessions: await revokeSessions(ctx.store.db, target, 'SIGNED_OUT', ctx.clock.now()) };
}
