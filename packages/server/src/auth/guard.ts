// Who is asking: turns `Authorization: Bearer <access token>` (devices) or the dashboard's httpOnly cookie (with its
// CSRF header and, on writes, a matching Origin) into an AuthContext, or a 401/403 that says why.
import { NimbusError, type AuthReason } from '@nimbus/protocol';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { sql } from 'kysely';
import type { MetadataStore } from '../db/metadata-store.js';
import type { AccountsTable, SessionsTable } from '../db/schema.js';
import { assertSameSiteRequest } from './csrf.js';
import { parseToken, secretMatches } from './tokens.js';
import { WEB_COOKIES, cookieToken } from './web-cookies.js';

export interface AuthContext {
  accountId: string;
  sessionId: string;
  isAdmin: boolean;
}

export type RequireAuth = (request: FastifyRequest) => Promise<AuthContext>;

type GuardRow = Pick<
  SessionsTable,
  'account_id' | 'access_hash' | 'access_expires_at' | 'refresh_expires_at' | 'revoked_reason' | 'revoked_at' | 'last_seen_at'
> &
  Pick<AccountsTable, 'is_admin'>;

/** last_seen_at is written at most this often per session, so reads stay reads. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

const REVOKED_MESSAGES: Record<string, string> = {
  PASSWORD_CHANGED: 'the account password was changed on another device: sign in again',
  TWO_FACTOR_ENABLED: 'two-factor authentication was turned on: sign in again with a code',
  SIGNED_OUT: 'this device was signed out: sign in again',
  TOKEN_REUSED: 'this session was ended because an old token was used again: sign in again',
};

export function revokedError(reason: string | null): NimbusError {
  const known = (reason ?? 'SIGNED_OUT') as AuthReason;
  return new NimbusError('AUTH_REVOKED', REVOKED_MESSAGES[known] ?? 'this session was ended: sign in again', { reason: known });
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** A bearer token wins; the cookie counts only on a request that passes the CSRF checks. */
function presentedToken(request: FastifyRequest): string | undefined {
  const bearer = bearerToken(request);
  if (bearer !== undefined) return bearer;
  const cookie = cookieToken(request, WEB_COOKIES.access);
  if (cookie !== undefined) assertSameSiteRequest(request);
  return cookie;
}

export function createAuthGuard(store: MetadataStore, clock: Clock): RequireAuth {
  return async (request) => {
    const token = presentedToken(request);
    if (token === undefined) throw new NimbusError('UNAUTHENTICATED', 'sign in first: no access token was sent');
    const parsed = parseToken(token);
    if (!parsed) throw new NimbusError('UNAUTHENTICATED', 'the access token is not one this server issued');
    // Raw SQL: every request runs this, and the query builder cost more than the query.
    const { rows } = await sql<GuardRow>`select s.account_id, s.access_hash, s.access_expires_at, s.refresh_expires_at,
        s.revoked_reason, s.revoked_at, s.last_seen_at, a.is_admin
      from sessions s join accounts a on a.id = s.account_id where s.id = ${parsed.sessionId}`.execute(store.reader);
    const row = rows[0];
    if (!row) throw new NimbusError('UNAUTHENTICATED', 'the access token is not one this server issued');
    if (row.revoked_at !== null) throw revokedError(row.revoked_reason);
    const now = clock.now();
    if (row.refresh_expires_at <= now) {
      throw new NimbusError('AUTH_EXPIRED', 'this session ran out: sign in again', { reason: 'SESSION_EXPIRED' });
    }
    // A rotated-away or timed-out access token: the client refreshes by itself.
    if (!secretMatches(parsed.secret, row.access_hash) || row.access_expires_at <= now) {
      throw new NimbusError('AUTH_EXPIRED', 'the access token expired: refresh it', { reason: 'ACCESS_TOKEN_EXPIRED' });
    }
    if (now - row.last_seen_at > LAST_SEEN_RESOLUTION_MS) {
      await store.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', parsed.sessionId).execute();
    }
    return { accountId: row.account_id, sessionId: parsed.sessionId, isAdmin: row.is_admin === 1 };
  };
}
