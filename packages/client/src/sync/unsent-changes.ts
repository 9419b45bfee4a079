// What this device has that the server does not yet: the outbox, plus edits on disk no pass has scanned yet.
import { SERVICE_ZONE, ZONE_SERVICE, type Service, type Zone } from '@nimbus/protocol';
import type { ServiceAdapter } from '../adapters/adapter.js';
import type { LocalStore } from '../store/local-store.js';
import { Outbox } from '../store/outbox.js';
import { feedTokenKey } from './pull.js';

/** One record with a change the server has not confirmed (the outbox's newest op, or a scan's find). */
export interface UnsentChange {
  service: Service;
  zone: Zone;
  id: string;
  kind: 'put' | 'delete';
  /** Library-relative path (`Drive/a.txt`), null when the change has none. */
  path: string | null;
  /** Where it was found: queued by a pass, or only on disk so far (edited since the last pass). */
  from: 'outbox' | 'disk';
}

/** A zone this device has pulled at least once: its files came from (or went to) the account. */
export const zoneSyncedHere = (store: LocalStore, zone: Zone): boolean => store.getMeta(feedTokenKey(zone)) !== undefined;

/**
 * Every unsent change, one per record: the outbox (set-aside items included: they never reached the server either),
 * then what a scan finds in the folders of enabled services this device has synced. A folder never synced here is
 * not compared (its files are the library's own, not changes of the account).
 */
export async function unsentChanges(store: LocalStore, adapters: readonly ServiceAdapter[], libraryRoot: string): Promise<UnsentChange[]> {
  const found = new Map<string, UnsentChange>();
  for (const op of new Outbox(store).all()) {
    found.set(`${op.zone}\u0000${op.id}`, { service: op.service, zone: op.zone, id: op.id, kind: op.kind, path: op.path, from: 'outbox' });
  }
  const settings = store.serviceSettings();
  for (const adapter of adapters) {
    if (!settings[adapter.service].enabled || !zoneSyncedHere(store, adapter.zone)) continue;
    const changes = await adapter.scan(store.mirrorZone(adapter.zone), { root: libraryRoot }, { settleMs: 0, onItemError: () => undefined });
    for (const change of changes) {
      const key = `${change.zone}\u0000${change.id}`;
      if (!found.has(key)) found.set(key, { service: ZONE_SERVICE[change.zone], zone: change.zone, id: change.id, kind: change.kind, path: change.path, from: 'disk' });
    }
  }
  return [...found.values()];
}

const NOUNS: Record<Service, [string, string]> = {
  contacts: ['contact', 'contacts'],
  notes: ['note', 'notes'],
  photos: ['photo', 'photos'],
  drive: ['Drive file', 'Drive files'],
  passwords: ['password', 'passwords'],
  backups: ['backup', 'backups'],
};

/** "3 changes not yet sent (2 notes, 1 Drive file)". */
export function describeUnsent(changes: readonly UnsentChange[]): string {
  const per = new Map<Service, number>();
  for (const c of changes) per.set(c.service, (per.get(c.service) ?? 0) + 1);
  const parts = Object.keys(SERVICE_ZONE)
    .filter((s): s is Service => per.has(s as Service))
    .map((s) => {
      const n = per.get(s) ?? 0;
      return `${n} ${NOUNS[s][n === 1 ? 0 : 1]}`;
    });
  const total = changes.length;
  return `${total} change${total === 1 ? '' : 's'} not yet sent (${parts.join(', ')})`;
}
