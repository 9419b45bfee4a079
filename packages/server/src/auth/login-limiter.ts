// Failed sign-in limiting, kept in the database so the limit holds across server processes.
import { LOGIN_LIMITS, NimbusError } from '@nimbus/protocol';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema.js';

/** Counter keys: one per email (known or not, so the limit tells nothing about which exist) and one per client address. */
export function accountKey(email: string): string {
  return `account:${email}`;
}
export function addressKey(address: string): string {
  return `address:${address}`;
}

interface Limit {
  key: string;
  max: number;
}

export class LoginLimiter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Limits for a sign-in from `address` to `email`. */
  limitsFor(email: string, address: string): Limit[] {
    return [
      { key: accountKey(email), max: LOGIN_LIMITS.perAccount },
      { key: addressKey(address), max: LOGIN_LIMITS.perAddress },
    ];
  }

  /** Throws RATE_LIMITED (with retryAfterSeconds) when any counter is used up in its current window. */
  async assertAllowed(limits: Limit[]): Promise<void> {
    const now = this.clock.now();
    const rows = await this.db
      .selectFrom('login_attempts')
      .select(['key', 'window_start', 'failures'])
      .where(
        'key',
        'in',
        limits.map((limit) => limit.key),
      )
      .execute();
    let waitMs = 0;
    for (const row of rows) {
      const max = limits.find((limit) => limit.key === row.key)?.max ?? Infinity;
      const windowEnd = row.window_start + LOGIN_LIMITS.windowMs;
      if (windowEnd > now && row.failures >= max) waitMs = Math.max(waitMs, windowEnd - now);
    }
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new NimbusError('RATE_LIMITED', `too many failed sign-ins: try again in ${describeWait(retryAfterSeconds)}`, {
        retryAfterSeconds,
      });
    }
  }

  /** Counts one failure on every counter; a counter whose window has passed starts a new one. */
  async recordFailure(limits: Limit[]): Promise<void> {
    const now = this.clock.now();
    const expired = sql<boolean>`login_attempts.window_start + ${LOGIN_LIMITS.windowMs} <= ${now}`;
    await this.db.transaction().execute(async (trx) => {
      for (const { key } of limits) {
        await trx
          .insertInto('login_attempts')
          .values({ key, window_start: now, failures: 1 })
          .onConflict((conflict) =>
            conflict.column('key').doUpdateSet({
              failures: sql<number>`CASE WHEN ${expired} THEN 1 ELSE login_attempts.failures + 1 END`,
              window_start: sql<number>`CASE WHEN ${expired} THEN ${now} ELSE login_attempts.window_start END`,
            }),
          )
          .execute();
      }
      // Old windows tell nothing any more; dropping them keeps the table as small as the last hour's failures.
      await trx
        .deleteFrom('login_attempts')
        .where('window_start', '<', now - LOGIN_LIMITS.windowMs)
        .execute();
    });
  }

  /** A correct password clears the account's counter; the address counter runs its course on purpose. */
  async clearAccount(email: string): Promise<void> {
    await this.db.deleteFrom('login_attempts').where('key', '=', accountKey(email)).execute();
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
