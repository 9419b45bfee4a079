// Remote records that could not be put on disk yet: kept to be tried again, so a feed token moving on never loses one.
import type { NimbusRecord, Zone } from '@nimbus/protocol';
import type { LocalStore } from './local-store.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS pull_retry (
  zone TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (zone, id)
)`;

export interface PullRetry {
  record: NimbusRecord;
  reason: string;
}

/**
 * The pull saves a record here when applying it failed for the item alone (a download cut short, a
 * name the disk refuses): the zone's token still moves on, so one bad item never blocks the rest,
 * and the next pass tries the kept record again before reading new changes. A newer version of the
 * record replaces the kept one.
 */
export class PullRetries {
  constructor(private readonly store: LocalStore) {
    store.db.exec(SCHEMA);
  }

  keep(record: NimbusRecord, reason: string): void {
    this.store
      .stmt('INSERT INTO pull_retry (zone, id, record, reason) VALUES (?, ?, ?, ?) ON CONFLICT (zone, id) DO UPDATE SET record = excluded.record, reason = excluded.reason')
      .run(record.zone, record.id, JSON.stringify(record), reason);
  }

  forget(zone: Zone, id: string): void {
    this.store.stmt('DELETE FROM pull_retry WHERE zone = ? AND id = ?').run(zone, id);
  }

  of(zone: Zone): PullRetry[] {
    const rows = this.store.stmt('SELECT record, reason FROM pull_retry WHERE zone = ?').all(zone) as { record: string; reason: string }[];
    return rows.map((row) => ({ record: JSON.parse(row.record) as NimbusRecord, reason: row.reason }));
  }
}
