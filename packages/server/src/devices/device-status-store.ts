// The device_status rows: the latest report of each signed-in device (one row per session).
import type { DeviceStatusReport } from '@nimbus/protocol';
import type { Db } from '../auth/account-store.js';

export interface StoredReport {
  sessionId: string;
  accountId: string;
  report: DeviceStatusReport;
  at: number;
}

/** Replaces the session's report (only the latest is kept). */
export async function upsertDeviceStatus(db: Db, stored: StoredReport): Promise<void> {
  const report = JSON.stringify(stored.report);
  await db
    .insertInto('device_status')
    .values({ session_id: stored.sessionId, account_id: stored.accountId, report, reported_at: stored.at })
    .onConflict((oc) => oc.column('session_id').doUpdateSet({ report, reported_at: stored.at }))
    .execute();
}
