// The account's per-service switches: read (defaults when never set), change some, tell the account's devices.
import { SERVICES, defaultAccountServices, serviceSchema, serviceSettingSchema, type AccountServices, type AccountServicesUpdate } from '@nimbus/protocol';
import { z } from 'zod';
import type { Db } from '../auth/account-store.js';
import type { AuthContext } from '../auth/guard.js';
import type { ServerContext } from '../context.js';

/** Every service's switch; services never set (or added since) are on. */
export async function readAccountServices(db: Db, accountId: string): Promise<AccountServices> {
  const row = await db.selectFrom('account_services').select('settings').where('account_id', '=', accountId).executeTakeFirst();
  return withDefaults(row?.settings);
}

/** Applies the changed fields; devices hear of it on their feed long-poll (`servicesChanged`) and obey at their next pass. */
export async function updateAccountServices(ctx: ServerContext, auth: AuthContext, update: AccountServicesUpdate): Promise<AccountServices> {
  const now = ctx.clock.now();
  const next = await ctx.store.db.transaction().execute(async (tx) => {
    // Two partial updates at once must not undo each other: on PostgreSQL the account row lock serializes them
    // (SQLite serializes write transactions by itself).
    if (ctx.store.dialect === 'postgres') await tx.selectFrom('accounts').select('id').where('id', '=', auth.accountId).forUpdate().execute();
    const current = await readAccountServices(tx, auth.accountId);
    for (const service of SERVICES) {
      const change = update[service];
      if (change) current[service] = { ...current[service], ...definedOnly(change) };
    }
    const settings = JSON.stringify(current);
    await tx
      .insertInto('account_services')
      .values({ account_id: auth.accountId, settings, updated_at: now })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ settings, updated_at: now }))
      .execute();
    return current;
  });
  ctx.notifier.publish(auth.accountId, { kind: 'services' });
  return next;
}

/** What a row holds: the services set so far (a service added later has no entry yet). */
const storedSchema = z.partialRecord(serviceSchema, serviceSettingSchema);

function withDefaults(stored: string | undefined): AccountServices {
  const settings = defaultAccountServices();
  if (stored === undefined) return settings;
  try {
    const parsed = storedSchema.safeParse(JSON.parse(stored));
    if (parsed.success) for (const service of SERVICES) settings[service] = parsed.data[service] ?? settings[service];
  } catch {
    // A damaged row reads as the defaults: nothing is switched off by accident of storage.
  }
  return settings;
}

function definedOnly(change: { enabled?: boolean | undefined; cellular?: boolean | undefined }): Partial<{ enabled: boolean; cellular: boolean }> {
  return {
    ...(change.enabled === undefined ? {} : { enabled: change.enabled }),
    ...(change.cellular === undefined ? {} : { cellular: change.cellular }),
  };
}
