// Account rows: the queries the account, session and two-factor services share.
import type { AccountView } from '@nimbus/protocol';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AccountsTable, Database } from '../db/schema.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type AccountRow = Selectable<AccountsTable>;

export function findAccountByEmail(db: Db, email: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function getAccount(db: Db, accountId: string): Promise<AccountRow> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
}

export async function accountCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function toAccountView(row: AccountRow): AccountView {
  return {
    id: row.id,
    email: row.email,
    isAdmin: row.is_admin === 1,
    twoFactorEnabled: row.totp_secret !== null,
    quotaBytes: Number(row.quota_bytes),
    usedBytes: Number(row.used_bytes),
    createdAt: Number(row.created_at),
  };
}
