// The device's state database ($NIMBUS_HOME/state.sqlite): meta, the mirror of server state, the outbox, settings.
import { defaultAccountServices, networkStatusSchema, SERVICES, type AccountServices, type NetworkStatus, type Service, type Zone } from '@nimbus/protocol';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';

/** The operating system's word on whether the network is metered (NetworkManager's flag). */
export type SystemMeteredHint = NonNullable<NetworkStatus['system']>;
const systemHintSchema = networkStatusSchema.shape.system.unwrap();
/** Meta key of the operating system's last metered hint. */
export const SYSTEM_METERED_META_KEY = 'system-metered';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mirror (
  zone TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
  data TEXT, blobs TEXT NOT NULL DEFAULT '[]', path TEXT,
  local_size INTEGER, local_mtime_ms INTEGER, local_hash TEXT,
  seen INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (zone, id)
);
CREATE INDEX IF NOT EXISTS mirror_path ON mirror (path);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL UNIQUE, service TEXT NOT NULL, lane TEXT NOT NULL,
  zone TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, base_version INTEGER NOT NULL,
  data TEXT, blobs TEXT NOT NULL DEFAULT '[]', path TEXT,
  local_size INTEGER, local_mtime_ms INTEGER, local_hash TEXT,
  sent INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
  set_aside INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_key ON outbox (zone, id);
CREATE INDEX IF NOT EXISTS outbox_lane ON outbox (lane, set_aside, seq);
CREATE TABLE IF NOT EXISTS settings (service TEXT PRIMARY KEY, enabled INTEGER NOT NULL, cellular INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS net (id INTEGER PRIMARY KEY CHECK (id = 1), metered INTEGER NOT NULL);
`;

/**
 * A mirror row as better-sqlite3 hands it over in raw mode (an array, in MIRROR_COLUMNS' order): a scan reads whole
 * zones on every pass, and arrays came out of SQLite in about 60 % of the time of objects with named keys.
 */
type MirrorRow = [
  zone: string,
  id: string,
  version: number,
  deleted: number,
  data: string | null,
  blobs: string,
  path: string | null,
  localSize: number | null,
  localMtimeMs: number | null,
  localHash: string | null,
];

const MIRROR_COLUMNS = 'zone, id, version, deleted, data, blobs, path, local_size, local_mtime_ms, local_hash';

export interface ServiceSettings {
  enabled: boolean;
  /** Allowed on a metered (cellular) network. */
  cellular: boolean;
}

/** A service's settings in effect on this device, and whether the account (not this device) switched something off. */
export interface EffectiveServiceSettings extends ServiceSettings {
  offForAccount: boolean;
}

/** Meta key of the account's service switches, as last read from GET /v1/account/services. */
export const ACCOUNT_SERVICES_META_KEY = 'account-services';

/** Where the state database of a NIMBUS_HOME lives. */
export const stateFilePath = (home: string): string => join(home, 'state.sqlite');

/**
 * A mirror row as an item. `data` is parsed on first use: a scan reads whole zones (100,000 rows after a big
 * pull) but needs the data only of the files that changed — parsing all of it cost ~100 MB and most of the time.
 */
const toItem = ([zone, id, version, deleted, dataText, blobs, path, localSize, localMtimeMs, localHash]: MirrorRow): MirrorItem => {
  let text = dataText;
  let data: Record<string, unknown> | null | undefined;
  return {
    zone: zone as Zone,
    id,
    version,
    deleted: deleted === 1,
    get data(): Record<string, unknown> | null {
      if (data === undefined) {
        data = text === null ? null : (JSON.parse(text) as Record<string, unknown>);
        text = null;
      }
      return data;
    },
    set data(value: Record<string, unknown> | null) {
      data = value;
      text = null;
    },
    blobs: blobs === '[]' ? [] : (JSON.parse(blobs) as string[]),
    path,
    localSize,
    localMtimeMs,
    localHash,
  };
};

/**
 * One synchronous better-sqlite3 connection. WAL with synchronous=FULL: a committed transaction is on
 * disk before the call returns, so an outbox entry exists before anything is sent. `relaxed()` runs a
 * stretch of small commits without fsync (still safe against a killed process; the next FULL commit
 * flushes them) — used for per-record mirror updates while applying a feed page.
 */
export class LocalStore {
  readonly db: Database.Database;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #getMirror: Database.Statement<[string, string], MirrorRow>;
  readonly #putMirror: Database.Statement<unknown[]>;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    if (!options.readonly && file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file, options.readonly ? { readonly: true, fileMustExist: true } : {});
    this.db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    }
    this.#getMeta = this.db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#setMeta = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#getMirror = this.db.prepare<[string, string], MirrorRow>(`SELECT ${MIRROR_COLUMNS} FROM mirror WHERE zone = ? AND id = ?`).raw(true);
    this.#putMirror = this.db.prepare(
      `INSERT INTO mirror (zone, id, version, deleted, data, blobs, path, local_size, local_mtime_ms, local_hash, seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (zone, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, data = excluded.data,
         blobs = excluded.blobs, path = excluded.path, local_size = excluded.local_size,
         local_mtime_ms = excluded.local_mtime_ms, local_hash = excluded.local_hash, seen = 1`,
    );
  }

  readonly #statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per connection. */
  stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Mirror rows matching `where`, as arrays (MirrorRow). */
  #mirrorRows(where: string, ...params: unknown[]): MirrorRow[] {
    return this.stmt(`SELECT ${MIRROR_COLUMNS} FROM mirror WHERE ${where}`).raw(true).all(...params) as MirrorRow[];
  }

  /**
   * Runs `fn` in one transaction (nested calls become savepoints). BEGIN IMMEDIATE takes the write lock
   * up front: a deferred transaction that reads and then writes fails at once with "database is locked"
   * (SQLITE_BUSY_SNAPSHOT, no busy wait) when another process — the agent and a CLI command — wrote
   * in between; waiting for the lock at BEGIN honours busy_timeout instead.
   */
  tx<T>(fn: () => T): T {
    const transaction = this.db.transaction(fn);
    return this.db.readonly ? transaction() : transaction.immediate();
  }

  /** One transaction committed without an fsync (WAL survives a killed process), whatever the mode around it. */
  relaxedTx<T>(fn: () => T): T {
    const full = (this.db.pragma('synchronous', { simple: true }) as number) === 2;
    if (full) this.db.pragma('synchronous = NORMAL');
    try {
      return this.tx(fn);
    } finally {
      if (full) this.db.pragma('synchronous = FULL');
    }
  }

  /** Commits inside `fn` skip the fsync (WAL survives a killed process); FULL again afterwards. */
  async relaxed<T>(fn: () => Promise<T>): Promise<T> {
    this.db.pragma('synchronous = NORMAL');
    try {
      return await fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** A transaction committed with an fsync even inside relaxed(): what must be on disk before the next step. */
  durableTx<T>(fn: () => T): T {
    const relaxed = (this.db.pragma('synchronous', { simple: true }) as number) !== 2;
    if (relaxed) this.db.pragma('synchronous = FULL');
    try {
      return this.tx(fn);
    } finally {
      if (relaxed) this.db.pragma('synchronous = NORMAL');
    }
  }

  /** The id of a live record other than `exceptId` that the mirror has at library path `path`, if any. */
  mirrorOwnerOf(zone: Zone, path: string, exceptId: string): string | undefined {
    const row = this.stmt('SELECT id FROM mirror WHERE path = ? AND zone = ? AND id != ? AND deleted = 0 ORDER BY id LIMIT 1').get(path, zone, exceptId) as { id: string } | undefined;
    return row?.id;
  }

  /** The rows of `ids` in one query (a feed page's worth), keyed by id. */
  mirrorMany(zone: Zone, ids: readonly string[]): Map<string, MirrorItem> {
    const rows = this.#mirrorRows('zone = ? AND id IN (SELECT value FROM json_each(?))', zone, JSON.stringify(ids));
    return new Map(rows.map((r) => [r[1], toItem(r)]));
  }

  getMeta(key: string): string | undefined {
    return this.#getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  deleteMeta(key: string): void {
    this.stmt('DELETE FROM meta WHERE key = ?').run(key);
  }

  getMirror(zone: Zone, id: string): MirrorItem | undefined {
    const row = this.#getMirror.get(zone, id);
    return row ? toItem(row) : undefined;
  }

  /** The zone's rows keyed by id: what a scan compares the folder with. */
  mirrorZone(zone: Zone): Map<string, MirrorItem> {
    return new Map(this.#mirrorRows('zone = ?', zone).map((r) => [r[1], toItem(r)]));
  }

  /** The zone's rows whose local hash starts with `prefix` (a pass asks every time: no whole-zone read for a few rows). */
  mirrorWithLocalHashPrefix(zone: Zone, prefix: string): MirrorItem[] {
    return this.#mirrorRows('zone = ? AND substr(local_hash, 1, length(?)) = ?', zone, prefix, prefix).map(toItem);
  }

  putMirror(item: MirrorItem): void {
    this.#putMirror.run(
      item.zone,
      item.id,
      item.version,
      item.deleted ? 1 : 0,
      item.data === null ? null : JSON.stringify(item.data),
      JSON.stringify(item.blobs),
      item.path,
      item.localSize,
      item.localMtimeMs === null ? null : Math.trunc(item.localMtimeMs),
      item.localHash,
    );
  }

  /** Resync bookkeeping: every row of the zone unseen until the feed from scratch shows it again. */
  markZoneUnseen(zone: Zone): void {
    this.stmt('UPDATE mirror SET seen = 0 WHERE zone = ?').run(zone);
  }

  markSeen(zone: Zone, id: string): void {
    this.stmt('UPDATE mirror SET seen = 1 WHERE zone = ? AND id = ?').run(zone, id);
  }

  /** Live rows the resync did not see: deleted (and purged) on the server meanwhile. */
  unseenLive(zone: Zone): MirrorItem[] {
    return this.#mirrorRows('zone = ? AND seen = 0 AND deleted = 0 AND version > 0', zone).map(toItem);
  }

  serviceSettings(): Record<Service, ServiceSettings> {
    const rows = this.stmt('SELECT service, enabled, cellular FROM settings').all() as { service: string; enabled: number; cellular: number }[];
    const out = {} as Record<Service, ServiceSettings>;
    for (const s of SERVICES) out[s] = { enabled: true, cellular: true };
    for (const r of rows) if ((SERVICES as readonly string[]).includes(r.service)) out[r.service as Service] = { enabled: r.enabled === 1, cellular: r.cellular === 1 };
    return out;
  }

  setServiceSettings(service: Service, change: Partial<ServiceSettings>): void {
    const next = { ...this.serviceSettings()[service], ...change };
    this
      .stmt('INSERT INTO settings (service, enabled, cellular) VALUES (?, ?, ?) ON CONFLICT (service) DO UPDATE SET enabled = excluded.enabled, cellular = excluded.cellular')
      .run(service, next.enabled ? 1 : 0, next.cellular ? 1 : 0);
  }

  /** The account's switches as last heard from the server (everything on until then). */
  accountServices(): AccountServices {
    const settings = defaultAccountServices();
    try {
      const stored = JSON.parse(this.getMeta(ACCOUNT_SERVICES_META_KEY) ?? '{}') as Partial<AccountServices>;
      for (const s of SERVICES) {
        const one = stored[s];
        if (one && typeof one.enabled === 'boolean' && typeof one.cellular === 'boolean') settings[s] = { enabled: one.enabled, cellular: one.cellular };
      }
    } catch {
      // a damaged copy reads as "everything on": the next pass asks the server again
    }
    return settings;
  }

  setAccountServices(settings: AccountServices): void {
    const text = JSON.stringify(settings);
    if (this.getMeta(ACCOUNT_SERVICES_META_KEY) !== text) this.setMeta(ACCOUNT_SERVICES_META_KEY, text);
  }

  /** What runs on this device: its own switch AND the account's (`nimbus services` sets the first, the dashboard the second). */
  effectiveServiceSettings(): Record<Service, EffectiveServiceSettings> {
    const device = this.serviceSettings();
    const account = this.accountServices();
    const out = {} as Record<Service, EffectiveServiceSettings>;
    for (const s of SERVICES) {
      const enabled = device[s].enabled && account[s].enabled;
      const cellular = device[s].cellular && account[s].cellular;
      out[s] = { enabled, cellular, offForAccount: (device[s].enabled && !account[s].enabled) || (device[s].cellular && !account[s].cellular) };
    }
    return out;
  }

  /** Metered: the user's setting when there is one, else the operating system's last hint, else not. */
  isMetered(): boolean {
    return this.networkStatus().metered;
  }

  /** Metered or not, and who decided (`nimbus network` and `status` show it). */
  networkStatus(): NetworkStatus {
    const setting = this.meteredSetting();
    const system = this.systemMeteredHint();
    const said = system === undefined ? {} : { system };
    if (setting !== undefined) return { metered: setting, source: 'setting', ...said };
    if (system !== undefined) return { metered: system.metered, source: 'system', ...said };
    return { metered: false, source: 'none' };
  }

  /** `nimbus network metered on|off`; undefined until the user says (or after `auto`). */
  meteredSetting(): boolean | undefined {
    const row = this.stmt('SELECT metered FROM net WHERE id = 1').get() as { metered: number } | undefined;
    return row === undefined ? undefined : row.metered === 1;
  }

  /** The user's say: on, off, or undefined to follow the operating system again. */
  setMetered(metered: boolean | undefined): void {
    if (metered === undefined) this.stmt('DELETE FROM net WHERE id = 1').run();
    else this.stmt('INSERT INTO net (id, metered) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET metered = excluded.metered').run(metered ? 1 : 0);
  }

  /** What the operating system last said (NetworkManager), read by the agent and the CLI. */
  systemMeteredHint(): SystemMeteredHint | undefined {
    const text = this.getMeta(SYSTEM_METERED_META_KEY);
    if (text === undefined) return undefined;
    try {
      const parsed = systemHintSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores the system's hint (undefined: it gave none); true when that changed what the store says. */
  setSystemMeteredHint(hint: SystemMeteredHint | undefined): boolean {
    const before = this.getMeta(SYSTEM_METERED_META_KEY);
    const after = hint === undefined ? undefined : JSON.stringify({ by: hint.by, says: hint.says, metered: hint.metered });
    if (before === after) return false;
    if (after === undefined) this.deleteMeta(SYSTEM_METERED_META_KEY);
    else this.setMeta(SYSTEM_METERED_META_KEY, after);
    return true;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
