// Quota accounting, atomic with the write it pays for: the UPDATE's WHERE clause is the check.
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type ChargeResult =
  | { ok: true; usedBytes: number }
  | { ok: false; usedBytes: number; quotaBytes: number; neededBytes: number };

/**
 * Adds `deltaBytes` (negative refunds) to the account's use if it fits in quota + `graceBytes`,
 * counting reservations. Run it inside the write's transaction: on PostgreSQL the row lock it
 * takes serializes concurrent writers of one account, so parallel writes can never overshoot.
 */
export async function chargeBytes(db: Db, accountId: string, deltaBytes: number, graceBytes = 0): Promise<ChargeResult> {
  // A refund always goes through; a charge only if it fits. Raw SQL: this is on every write's path.
  const fits = deltaBytes > 0 ? sql`and used_bytes + reserved_bytes + ${deltaBytes} <= quota_bytes + ${graceBytes}` : sql``;
  const { rows } = await sql<{ used_bytes: number }>`update accounts set used_bytes = used_bytes + ${deltaBytes}
    where id = ${accountId} ${fits} returning used_bytes`.execute(db);
  const updated = rows[0];
  if (updated) return { ok: true, usedBytes: updated.used_bytes };
  return refusal(db, accountId, deltaBytes);
}

/** Holds `bytes` for an upload in progress, under the same rule as chargeBytes. */
export async function reserveBytes(db: Db, accountId: string, bytes: number): Promise<ChargeResult> {
  const updated = await db
    .updateTable('accounts')
    .set({ reserved_bytes: sql`reserved_bytes + ${bytes}` })
    .where('id', '=', accountId)
    .where(sql<boolean>`used_bytes + reserved_bytes + ${bytes} <= quota_bytes`)
    .returning(['used_bytes'])
    .executeTakeFirst();
  if (updated) return { ok: true, usedBytes: updated.used_bytes };
  return refusal(db, accountId, bytes);
}

/** Gives back a reservation (upload finished, abandoned or cancelled). Never goes below zero. */
export async function releaseReservation(db: Db, accountId: string, bytes: number): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ reserved_bytes: sql`CASE WHEN reserved_bytes > ${bytes} THEN reserved_bytes - ${bytes} ELSE 0 END` })
    .where('id', '=', accountId)
    .execute();
}

async function refusal(db: Db, accountId: string, neededBytes: number): Promise<ChargeResult> {
  const row = await db
    .selectFrom('accounts')
    .select(['used_bytes', 'reserved_bytes', 'quota_bytes'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { ok: false, usedBytes: row.used_bytes + row.reserved_bytes, quotaBytes: row.quota_bytes, neededBytes };
}
