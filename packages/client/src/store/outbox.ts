// The outbox: a durable FIFO of local changes waiting for the server, per lane, coalesced per record.
import { ZONE_SERVICE, type Service, type Zone } from '@nimbus/protocol';
import { randomUUID } from 'node:crypto';
import type { LocalChange } from '../adapters/adapter.js';
import { laneFor, type Lane } from '../engine/lanes.js';
import type { LocalStore } from './local-store.js';

/** An item that fails the same way this many times is set aside (shown, kept, no longer blocking). */
export const SET_ASIDE_AFTER = 5;

export interface OutboxBlob {
  sha256: string;
  size: number;
  file: string;
}

/** One pending operation. `opId` names it for life (logs, replay checks). */
export interface OutboxOp {
  seq: number;
  opId: string;
  service: Service;
  lane: Lane;
  zone: Zone;
  id: string;
  kind: 'put' | 'delete';
  baseVersion: number;
  data: Record<string, unknown> | null;
  blobs: OutboxBlob[];
  path: string | null;
  localSize: number | null;
  localMtimeMs: number | null;
  localHash: string | null;
  /** It may have reached the server (a request was under way): never coalesced away. */
  sent: boolean;
  attempts: number;
  lastError: string | null;
  setAside: boolean;
}

interface OutboxRow {
  seq: number;
  op_id: string;
  service: string;
  lane: string;
  zone: string;
  id: string;
  kind: string;
  base_version: number;
  data: string | null;
  blobs: string;
  path: string | null;
  local_size: number | null;
  local_mtime_ms: number | null;
  local_hash: string | null;
  sent: number;
  attempts: number;
  last_error: string | null;
  set_aside: number;
}

const toOp = (r: OutboxRow): OutboxOp => ({
  seq: r.seq,
  opId: r.op_id,
  service: r.service as Service,
  lane: r.lane as Lane,
  zone: r.zone as Zone,
  id: r.id,
  kind: r.kind === 'delete' ? 'delete' : 'put',
  baseVersion: r.base_version,
  data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
  blobs: JSON.parse(r.blobs) as OutboxBlob[],
  path: r.path,
  localSize: r.local_size,
  localMtimeMs: r.local_mtime_ms,
  localHash: r.local_hash,
  sent: r.sent === 1,
  attempts: r.attempts,
  lastError: r.last_error,
  setAside: r.set_aside === 1,
});

/** How one item of a batch ended: gone from the outbox, or failed (and maybe set aside). */
export type BatchResult = { seq: number; done: true } | { seq: number; done: false; reason: string; setAsideNow?: boolean };

export interface OutboxBatch {
  items: OutboxOp[];
  /** More runnable items wait after these. */
  haveMore: boolean;
  /** The last seq looked at: pass it as `afterSeq` for the next batch. */
  cursor: number;
  /** Records the items' outcomes in one transaction (call inside a wider store.tx() to join it). */
  complete(results: readonly BatchResult[]): void;
}

export class Outbox {
  constructor(private readonly store: LocalStore) {}

  /**
   * Adds a change (call inside store.tx with the mirror update). An unsent or set-aside op for the same record
   * in the same lane is replaced; a sent one stays, and the new op runs after it (rebased when it lands).
   * New photos go up as metadata first, the original in its own lane after.
   */
  enqueue(change: LocalChange, baseVersion: number, now: number): void {
    const service = ZONE_SERVICE[change.zone];
    if (change.kind === 'put' && service === 'photos' && change.blobs.length > 0) {
      if (baseVersion === 0) this.insert(change, { ...change, blobs: [] }, 'photo-metadata', baseVersion, now);
      this.insert(change, change, 'photo-originals', baseVersion, now);
      return;
    }
    this.insert(change, change, laneFor(service), baseVersion, now);
  }

  private insert(change: LocalChange, body: LocalChange, lane: Lane, baseVersion: number, now: number): void {
    // A delete supersedes whatever else of the record is unsent, in every lane.
    const sameLane = body.kind === 'delete' ? '' : 'AND lane = ?';
    const args: unknown[] = body.kind === 'delete' ? [change.zone, change.id] : [change.zone, change.id, lane];
    // INDEXED BY: with `lane = ?` in the WHERE, SQLite's planner picks outbox_lane and walks the whole lane for
    // each insert, which made a scan of 10,000 new files quadratic (23 s); the record's key finds its few rows.
    this.store.stmt(`DELETE FROM outbox INDEXED BY outbox_key WHERE zone = ? AND id = ? ${sameLane} AND (sent = 0 OR set_aside = 1)`).run(...args);
    const put = body.kind === 'put' ? body : undefined;
    this.store
      .stmt(
        `INSERT INTO outbox (op_id, service, lane, zone, id, kind, base_version, data, blobs, path, local_size, local_mtime_ms, local_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        randomUUID(),
        ZONE_SERVICE[change.zone],
        lane,
        change.zone,
        change.id,
        change.kind,
        baseVersion,
        put ? JSON.stringify(put.data) : null,
        JSON.stringify(put ? put.blobs : []),
        change.path,
        put?.localSize ?? null,
        put ? Math.trunc(put.localMtimeMs) : null,
        put?.localHash ?? null,
        now,
      );
  }

  /**
   * The next runnable items of a lane after `afterSeq`, at most one per record (a second op for the same
   * record waits for the first one's new version), oldest first.
   */
  nextBatch(lane: Lane, max: number, afterSeq = 0): OutboxBatch {
    const rows = this.store
      .stmt('SELECT * FROM outbox WHERE lane = ? AND set_aside = 0 AND seq > ? ORDER BY seq LIMIT ?')
      .all(lane, afterSeq, max + 1) as OutboxRow[];
    const items: OutboxOp[] = [];
    const keys = new Set<string>();
    const looked = rows.slice(0, max);
    for (const row of looked) {
      const key = `${row.zone}\u0000${row.id}`;
      if (keys.has(key) || this.hasEarlier(row)) continue;
      keys.add(key);
      items.push(toOp(row));
    }
    const cursor = looked.at(-1)?.seq ?? afterSeq;
    return { items, haveMore: rows.length > max, cursor, complete: (results) => this.complete(results) };
  }

  /** An older op of the same record (another lane, or a set-aside one) goes first. */
  private hasEarlier(row: OutboxRow): boolean {
    return this.store.stmt('SELECT 1 FROM outbox WHERE zone = ? AND id = ? AND seq < ? AND set_aside = 0 LIMIT 1').get(row.zone, row.id, row.seq) !== undefined;
  }

  complete(results: readonly BatchResult[]): void {
    this.store.tx(() => {
      for (const r of results) {
        if (r.done) this.remove(r.seq);
        else this.fail(r.seq, r.reason, r.setAsideNow ?? false);
      }
    });
  }

  /** Marks items as under way: from now on they may have reached the server. */
  markSent(seqs: readonly number[]): void {
    const stmt = this.store.stmt('UPDATE outbox SET sent = 1 WHERE seq = ?');
    this.store.tx(() => seqs.forEach((s) => stmt.run(s)));
  }

  /** The server answered without applying it (conflict, quota, invalid): it is unsent again. */
  markUnsent(seq: number): void {
    this.store.stmt('UPDATE outbox SET sent = 0 WHERE seq = ?').run(seq);
  }

  remove(seq: number): void {
    this.store.stmt('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  /** Counts a failure; the same reason SET_ASIDE_AFTER times (or `now`) sets the item aside. Returns true when set aside. */
  fail(seq: number, reason: string, now = false): boolean {
    const row = this.store.stmt('SELECT attempts, last_error FROM outbox WHERE seq = ?').get(seq) as { attempts: number; last_error: string | null } | undefined;
    if (!row) return false;
    const attempts = row.last_error === reason ? row.attempts + 1 : 1;
    const aside = now || attempts >= SET_ASIDE_AFTER;
    this.store.stmt('UPDATE outbox SET attempts = ?, last_error = ?, set_aside = ? WHERE seq = ?').run(attempts, reason, aside ? 1 : 0, seq);
    return aside;
  }

  /** A record landed at `version`: later ops of it now edit that version. */
  rebase(zone: Zone, id: string, version: number): void {
    this.store.stmt('UPDATE outbox SET base_version = ? WHERE zone = ? AND id = ?').run(version, zone, id);
  }

  setBase(seq: number, version: number): void {
    this.store.stmt('UPDATE outbox SET base_version = ?, sent = 0 WHERE seq = ?').run(version, seq);
  }

  /** Pending (not set aside) ops of this record. */
  hasPending(zone: Zone, id: string): boolean {
    return this.store.stmt('SELECT 1 FROM outbox WHERE zone = ? AND id = ? AND set_aside = 0 LIMIT 1').get(zone, id) !== undefined;
  }

  /** Of `ids`, those with pending (not set aside) ops: one query for a feed page. */
  pendingAmong(zone: Zone, ids: readonly string[]): Set<string> {
    const rows = this.store
      .stmt('SELECT DISTINCT id FROM outbox WHERE zone = ? AND set_aside = 0 AND id IN (SELECT value FROM json_each(?))')
      .all(zone, JSON.stringify(ids)) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  /** Items per service (a record counts once however many lanes it waits in), set-aside ones excluded. */
  pendingByService(): Map<Service, number> {
    const rows = this.store.stmt('SELECT service, COUNT(DISTINCT zone || char(0) || id) AS n FROM outbox WHERE set_aside = 0 GROUP BY service').all() as {
      service: Service;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.service, r.n]));
  }

  /** Lanes that have runnable items. */
  busyLanes(): Set<Lane> {
    const rows = this.store.stmt('SELECT DISTINCT lane FROM outbox WHERE set_aside = 0').all() as { lane: Lane }[];
    return new Set(rows.map((r) => r.lane));
  }

  setAsideItems(): { service: Service; id: string; path: string | null; reason: string }[] {
    const rows = this.store.stmt('SELECT service, id, path, last_error FROM outbox WHERE set_aside = 1 ORDER BY seq').all() as {
      service: Service;
      id: string;
      path: string | null;
      last_error: string | null;
    }[];
    return rows.map((r) => ({ service: r.service, id: r.id, path: r.path, reason: r.last_error ?? 'kept failing' }));
  }

  all(): OutboxOp[] {
    return (this.store.stmt('SELECT * FROM outbox ORDER BY seq').all() as OutboxRow[]).map(toOp);
  }
}
