// Optimize Storage's settings on this device: on or off, the local budget for originals, and the photos brought
// back with `nimbus photos get` (kept as originals until released).
import type { LocalStore } from '../store/local-store.js';

export interface OptimizeSettings {
  readonly enabled: boolean;
  /** Bytes of originals the library may keep; beyond it the oldest become optimized stand-ins. */
  readonly localBudgetBytes: number;
}

const ENABLED_KEY = 'photos-optimize';
const BUDGET_KEY = 'photos-local-budget';
const PINS = 'CREATE TABLE IF NOT EXISTS photo_pins (id TEXT PRIMARY KEY)';

export function readOptimizeSettings(store: LocalStore): OptimizeSettings {
  const budget = Number(store.getMeta(BUDGET_KEY) ?? '0');
  return { enabled: store.getMeta(ENABLED_KEY) === 'on', localBudgetBytes: Number.isSafeInteger(budget) && budget > 0 ? budget : 0 };
}

export function writeOptimizeSettings(store: LocalStore, settings: { enabled: boolean; localBudgetBytes?: number }): void {
  store.tx(() => {
    store.setMeta(ENABLED_KEY, settings.enabled ? 'on' : 'off');
    if (settings.localBudgetBytes !== undefined) store.setMeta(BUDGET_KEY, String(settings.localBudgetBytes));
  });
}

/** Photos (record ids) whose originals stay on this device whatever the budget: asked for with `nimbus photos get`. */
export function pinnedPhotos(store: LocalStore): Set<string> {
  // Read-only stores too (the agent's settings watcher): no table yet means nothing pinned.
  if (store.stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'photo_pins'").get() === undefined) return new Set();
  return new Set((store.stmt('SELECT id FROM photo_pins').all() as { id: string }[]).map((r) => r.id));
}

export function pinPhotos(store: LocalStore, ids: readonly string[]): void {
  store.db.exec(PINS);
  const insert = store.stmt('INSERT INTO photo_pins (id) VALUES (?) ON CONFLICT (id) DO NOTHING');
  store.tx(() => {
    for (const id of ids) insert.run(id);
  });
}

/** Lets the budget optimize these again (all when `ids` is omitted). */
export function releasePhotos(store: LocalStore, ids?: readonly string[]): void {
  store.db.exec(PINS);
  if (ids === undefined) store.stmt('DELETE FROM photo_pins').run();
  else {
    const remove = store.stmt('DELETE FROM photo_pins WHERE id = ?');
    store.tx(() => {
      for (const id of ids) remove.run(id);
    });
  }
}
