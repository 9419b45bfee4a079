// Two-factor authentication: set up a pending secret, confirm it with a code (which signs out other devices), turn it off.
import { NimbusError, type TwoFactorSetupResponse } from '@nimbus/protocol';
import { assertPassword, type AuthDeps } from './account-service.js';
import { getAccount } from './account-store.js';
import type { AuthContext } from './guard.js';
import { LoginLimiter } from './login-limiter.js';
import { revokeSessions } from './session-store.js';
import { claimTotpStep, newTotpSecret, totpQrSvg, totpUri, verifyTotp } from './totp.js';

export async function setupTwoFactor(ctx: AuthDeps, auth: AuthContext): Promise<TwoFactorSetupResponse> {
  const account = await getAccount(ctx.store.db, auth.accountId);
  if (account.totp_secret !== null) throw alreadyOn();
  const secret = newTotpSecret();
  await ctx.store.db.updateTable('accounts').set({ totp_pending_secret: secret }).where('id', '=', auth.accountId).execute();
  const otpauthUri = totpUri(secret, account.email);
  return { secret, otpauthUri, qrSvg: await totpQrSvg(otpauthUri) };
}

/** Turns 2FA on once a code from the pending secret checks out, and signs out every other device (TWO_FACTOR_ENABLED). */
export async function enableTwoFactor(
  ctx: AuthDeps,
  auth: AuthContext,
  code: string,
  address: string,
): Promise<{ revokedSessions: number }> {
  const account = await getAccount(ctx.store.db, auth.accountId);
  if (account.totp_secret !== null) throw alreadyOn();
  const pending = account.totp_pending_secret;
  if (pending === null) throw new NimbusError('BAD_REQUEST', 'set up two-factor authentication first (POST /v1/account/2fa/setup)');
  await assertCode(ctx, account, pending, code, address);
  const now = ctx.clock.now();
  const revokedSessions = await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ totp_secret: pending, totp_pending_secret: null })
      .where('id', '=', auth.accountId)
      .execute();
    return revokeSessions(trx, { accountId: auth.accountId, except: auth.sessionId }, 'TWO_FACTOR_ENABLED', now);
  });
  return { revokedSessions };
}

/** Needs both the password and a current code, so a borrowed unlocked device cannot quietly weaken the account. */
export async function disableTwoFactor(
  ctx: AuthDeps,
  auth: AuthContext,
  input: { password: string; code: string },
  address: string,
): Promise<void> {
  const account = await getAccount(ctx.store.db, auth.accountId);
  if (account.totp_secret === null) throw new NimbusError('BAD_REQUEST', 'two-factor authentication is not on');
  await assertPassword(ctx, account.email, account.password_hash, input.password, address);
  await assertCode(ctx, account, account.totp_secret, input.code, address);
  await ctx.store.db
    .updateTable('accounts')
    .set({ totp_secret: null, totp_pending_secret: null })
    .where('id', '=', auth.accountId)
    .execute();
}

async function assertCode(
  ctx: AuthDeps,
  account: { id: string; email: string },
  secret: string,
  code: string,
  address: string,
): Promise<void> {
  const limiter = new LoginLimiter(ctx.store.db, ctx.clock);
  const limits = limiter.limitsFor(account.email, address);
  await limiter.assertAllowed(limits);
  const step = verifyTotp(secret, code, ctx.clock.now());
  if (step === null || !(await claimTotpStep(ctx.store.db, account.id, step))) {
    await limiter.recordFailure(limits);
    throw new NimbusError('OTP_INVALID', 'the two-factor code is wrong or has run out: use the current code');
  }
}

function alreadyOn(): NimbusError {
  return new NimbusError('BAD_REQUEST', 'two-factor authentication is already on');
}
