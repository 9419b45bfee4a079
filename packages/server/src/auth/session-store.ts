// Session rows: issue, look up, rotate and revoke. Only SHA-256 hashes of token secrets are stored.
import { deviceStatusView, type AuthReason, type DeviceStatusView, type DeviceView, type SessionTokens, type SignInView } from '@nimbus/protocol';
import type { Selectable } from 'kysely';
import type { SessionsTable } from '../db/schema.js';
import type { Db } from './account-store.js';
import { issueToken, newId } from './tokens.js';

export type SessionRow = Selectable<SessionsTable>;

export interface Lifetimes {
  accessTtlMs: number;
  refreshTtlMs: number;
}

export interface NewSession {
  accountId: string;
  deviceName: string;
  ip: string | null;
  userAgent: string | null;
}

export async function insertSession(db: Db, session: NewSession, now: number, ttl: Lifetimes): Promise<SessionTokens> {
  const id = newId();
  const access = issueToken(id);
  const refresh = issueToken(id);
  const tokens: SessionTokens = {
    sessionId: id,
    accessToken: access.token,
    accessExpiresAt: now + ttl.accessTtlMs,
    refreshToken: refresh.token,
    refreshExpiresAt: now + ttl.refreshTtlMs,
  };
  await db
    .insertInto('sessions')
    .values({
      id,
      account_id: session.accountId,
      device_name: session.deviceName,
      created_at: now,
      last_seen_at: now,
      access_hash: access.hash,
      access_expires_at: tokens.accessExpiresAt,
      refresh_hash: refresh.hash,
      prev_refresh_hash: null,
      refresh_expires_at: tokens.refreshExpiresAt,
      revoked_at: null,
      revoked_reason: null,
      ip: session.ip,
      user_agent: session.userAgent,
    })
    .execute();
  return tokens;
}

export function findSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
}

/**
 * Replaces both tokens if the refresh hash is still `expectedRefreshHash` (compare-and-swap, so two
 * refreshes with one token cannot both win). The refresh lifetime slides: a device in use stays signed in.
 */
export async function rotateSession(
  db: Db,
  row: SessionRow,
  now: number,
  ttl: Lifetimes,
): Promise<SessionTokens | undefined> {
  const access = issueToken(row.id);
  const refresh = issueToken(row.id);
  const tokens: SessionTokens = {
    sessionId: row.id,
    accessToken: access.token,
    accessExpiresAt: now + ttl.accessTtlMs,
    refreshToken: refresh.token,
    refreshExpiresAt: now + ttl.refreshTtlMs,
  };
  const result = await db
    .updateTable('sessions')
    .set({
      access_hash: access.hash,
      access_expires_at: tokens.accessExpiresAt,
      refresh_hash: refresh.hash,
      prev_refresh_hash: row.refresh_hash,
      refresh_expires_at: tokens.refreshExpiresAt,
      last_seen_at: now,
    })
    .where('id', '=', row.id)
    .where('refresh_hash', '=', row.refresh_hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? tokens : undefined;
}

export interface RevokeScope {
  accountId: string;
  /** Only this session. */
  only?: string;
  /** Every session but this one. */
  except?: string;
}

/** Ends the live sessions in scope with `reason`; returns how many were ended. */
export async function revokeSessions(db: Db, scope: RevokeScope, reason: AuthReason, now: number): Promise<number> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('account_id', '=', scope.accountId)
    .where('revoked_at', 'is', null);
  if (scope.only !== undefined) query = query.where('id', '=', scope.only);
  if (scope.except !== undefined) query = query.where('id', '!=', scope.except);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Signed-in devices (sessions neither revoked nor run out), each with the sync status it last reported. */
export async function listDevices(db: Db, accountId: string, currentSessionId: string, now: number): Promise<DeviceView[]> {
  const rows = await db
    .selectFrom('sessions as s')
    .leftJoin('device_status as d', 'd.session_id', 's.id')
    .select(['s.id', 's.device_name', 's.created_at', 's.last_seen_at', 's.ip', 's.user_agent', 'd.report', 'd.reported_at'])
    .where('s.account_id', '=', accountId)
    .where('s.revoked_at', 'is', null)
    .where('s.refresh_expires_at', '>', now)
    .orderBy('s.created_at')
    .orderBy('s.id')
    .execute();
  return rows.map((row) => ({
    sessionId: row.id,
    deviceName: row.device_name,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    current: row.id === currentSessionId,
    ip: row.ip,
    userAgent: row.user_agent,
    status: row.report === null || row.reported_at === null ? null : storedStatus(row.report, Number(row.reported_at)),
  }));
}

/** A stored report as the listing shows it; one that no longer parses (an older format) shows as none. */
function storedStatus(report: string, reportedAt: number): DeviceStatusView | null {
  try {
    const parsed = deviceStatusView.safeParse({ ...(JSON.parse(report) as object), reportedAt });
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The account's latest sign-ins, newest first, ended ones too (the Security page's "recent sign-ins"). */
export async function listSignIns(db: Db, accountId: string, limit: number): Promise<SignInView[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'device_name', 'created_at', 'ip', 'user_agent', 'revoked_at', 'revoked_reason'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    sessionId: row.id,
    deviceName: row.device_name,
    createdAt: Number(row.created_at),
    ip: row.ip,
    userAgent: row.user_agent,
    endedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    endedReason: row.revoked_reason,
  }));
}
