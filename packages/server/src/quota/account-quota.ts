// Plans are simply a per-account quota, set by an admin.
import { NimbusError, type QuotaView } from '@nimbus/protocol';
import type { Kysely } from 'kysely';
import type { AuthContext } from '../auth/guard.js';
import type { Database } from '../db/schema.js';

/** Sets an account's quota. Lowering it below the use is allowed: new data waits until space is freed. */
export async function setAccountQuota(db: Kysely<Database>, caller: AuthContext, accountId: string, quotaBytes: number): Promise<QuotaView> {
  if (!caller.isAdmin) throw new NimbusError('FORBIDDEN', 'only an admin can change quotas');
  const row = await db
    .updateTable('accounts')
    .set({ quota_bytes: quotaBytes })
    .where('id', '=', accountId)
    .returning(['id', 'quota_bytes', 'used_bytes'])
    .executeTakeFirst();
  if (!row) throw new NimbusError('NOT_FOUND', 'no such account');
  return { accountId: row.id, quotaBytes: row.quota_bytes, usedBytes: row.used_bytes };
}
