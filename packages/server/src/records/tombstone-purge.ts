// Forgets old tombstones. Change tokens that still needed them are expired via accounts.feed_horizon.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** How long deletions are kept for devices that were offline (a suggestion for the sweeper). */
export const TOMBSTONE_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Deletes tombstones last modified before `cutoffMs` (ms since epoch, e.g. now − TOMBSTONE_RETENTION_MS)
 * and raises each account's feed_horizon to the highest purged sequence number, so a change token
 * older than that answers 410 CHANGE_TOKEN_EXPIRED. Returns how many tombstones were purged.
 */
export async function purgeTombstones(db: Kysely<Database>, cutoffMs: number): Promise<number> {
  const accounts = await db
    .selectFrom('records')
    .select(['account_id', (eb) => eb.fn.max('seq').as('max_seq')])
    .where('deleted', '=', 1)
    .where('modified_at', '<', cutoffMs)
    .groupBy('account_id')
    .execute();
  let purged = 0;
  for (const { account_id: accountId, max_seq: maxSeq } of accounts) {
    const horizon = Number(maxSeq);
    purged += await db.transaction().execute(async (trx) => {
      // The account row first, like every writer of the account's records.
      await trx
        .updateTable('accounts')
        .set({ feed_horizon: sql`CASE WHEN feed_horizon < ${horizon} THEN ${horizon} ELSE feed_horizon END` })
        .where('id', '=', accountId)
        .execute();
      // A tombstone recreated meanwhile is no longer deleted; a newer one has a higher seq.
      const result = await trx
        .deleteFrom('records')
        .where('account_id', '=', accountId)
        .where('deleted', '=', 1)
        .where('seq', '<=', horizon)
        .where('modified_at', '<', cutoffMs)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
  return purged;
}
