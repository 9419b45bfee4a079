// Accounts: create (first one is admin; closed registration lets only admins add people), view, change password.
import { NimbusError, type AccountView, type ChangePasswordRequest, type CreateAccountRequest } from '@nimbus/protocol';
import { sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { accountCount, findAccountByEmail, getAccount, toAccountView } from './account-store.js';
import type { AuthContext } from './guard.js';
import { LoginLimiter } from './login-limiter.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { revokeSessions } from './session-store.js';
import { newId } from './tokens.js';

export type AuthDeps = Pick<ServerContext, 'config' | 'store' | 'clock'>;

/** Who a request is, or undefined when it carries no credentials. Lazy: only closed registration asks. */
export type OptionalCaller = () => Promise<AuthContext | undefined>;

export async function createAccount(ctx: AuthDeps, input: CreateAccountRequest, caller: OptionalCaller): Promise<AccountView> {
  const db = ctx.store.db;
  const isFirst = (await accountCount(db)) === 0;
  if (!isFirst && ctx.config.registration === 'closed') {
    const who = await caller();
    if (!who?.isAdmin) {
      throw new NimbusError('REGISTRATION_CLOSED', 'this server does not accept new accounts: ask its admin to create one for you');
    }
  }
  if (await findAccountByEmail(db, input.email)) throw emailTaken();
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  const id = newId();
  try {
    await db.transaction().execute(async (trx) => {
      // Counted again inside the write: of two first sign-ups, one is admin. SQLite serializes
      // transactions; PostgreSQL (read committed) needs a lock so the second waits for the first.
      if (ctx.store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7070)`.execute(trx);
      const first = (await accountCount(trx)) === 0;
      await trx
        .insertInto('accounts')
        .values({
          id,
          email: input.email,
          password_hash: passwordHash,
          is_admin: first ? 1 : 0,
          quota_bytes: ctx.config.defaultQuotaBytes,
          used_bytes: 0,
          reserved_bytes: 0,
          change_seq: 0,
          feed_horizon: 0,
          totp_secret: null,
          totp_pending_secret: null,
          created_at: now,
          password_changed_at: now,
        })
        .execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  return toAccountView(await getAccount(db, id));
}

export async function accountView(ctx: AuthDeps, auth: AuthContext): Promise<AccountView> {
  return toAccountView(await getAccount(ctx.store.db, auth.accountId));
}

/** Sets a new password and signs out every other device (PASSWORD_CHANGED); the caller stays signed in. */
export async function changePassword(
  ctx: AuthDeps,
  auth: AuthContext,
  input: ChangePasswordRequest,
  address: string,
): Promise<{ revokedSessions: number }> {
  const account = await getAccount(ctx.store.db, auth.accountId);
  await assertPassword(ctx, account.email, account.password_hash, input.currentPassword, address);
  const passwordHash = await hashPassword(input.newPassword);
  const now = ctx.clock.now();
  const revokedSessions = await ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, password_changed_at: now })
      .where('id', '=', auth.accountId)
      .execute();
    return revokeSessions(trx, { accountId: auth.accountId, except: auth.sessionId }, 'PASSWORD_CHANGED', now);
  });
  return { revokedSessions };
}

/**
 * Re-checks the password of a signed-in person (password change, turning 2FA off). Counted by the
 * same limiter as sign-in, so a stolen access token cannot be used to guess the password.
 */
export async function assertPassword(ctx: AuthDeps, email: string, storedHash: string, password: string, address: string): Promise<void> {
  const limiter = new LoginLimiter(ctx.store.db, ctx.clock);
  const limits = limiter.limitsFor(email, address);
  await limiter.assertAllowed(limits);
  if (!(await verifyPassword(storedHash, password))) {
    await limiter.recordFailure(limits);
    throw new NimbusError('INVALID_CREDENTIALS', 'the current password is wrong');
  }
}

function emailTaken(): NimbusError {
  return new NimbusError('EMAIL_TAKEN', 'an account with this email already exists: sign in instead');
}

/** SQLite and PostgreSQL name a unique-constraint failure differently. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
