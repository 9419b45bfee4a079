// Pull: each zone's change feed since its stored token, applied record by record, the token saved per page.
import { NimbusError, type ChangesResponse, type NimbusRecord, type Zone } from '@nimbus/protocol';
import { isItemError, type MirrorItem } from '../adapters/adapter.js';
import { PullRetries, type PullRetry } from '../store/pull-retries.js';
import { applyRemote, PageWrites } from './apply-remote.js';
import { guard, serviceOf, type PassContext } from './pass-context.js';

/** Meta keys of the change-token module: one opaque token per zone, and the resync flag. */
export const feedTokenKey = (zone: Zone): string => `feed-token:${zone}`;
export const resyncKey = (zone: Zone): string => `feed-resync:${zone}`;
/** The newest token saved by any zone's pull: the agent long-polls from it. */
export const WATCH_TOKEN_KEY = 'feed-watch-token';

/** A page of a zone's feed from `since`, asked for now; it may be dropped unread (the pull stopped first). */
function requestPage(ctx: PassContext, zone: Zone, since: string | undefined): Promise<ChangesResponse> {
  const request = ctx.transport.changes({ since, zones: [zone], limit: ctx.tuning.feedPageSize }, ctx.signal);
  request.catch(() => undefined);
  return request;
}

/** The first page of a zone's feed from its stored token, asked for now (pullAll asks every zone's at once). */
export const fetchFirstPage = (ctx: PassContext, zone: Zone): Promise<ChangesResponse> => requestPage(ctx, zone, ctx.store.getMeta(feedTokenKey(zone)));

/**
 * Pulls one zone to the end of its feed. Returns false when downloads had to stop (a full disk). `firstPage`:
 * the page from the zone's stored token, already asked for (fetchFirstPage).
 */
export async function pullZone(ctx: PassContext, zone: Zone, firstPage?: Promise<ChangesResponse>): Promise<boolean> {
  const { store } = ctx;
  const retries = new KeptRecords(new PullRetries(store), zone);
  // Records an earlier pass could not apply come first (their token has moved on already).
  for (const kept of retries.all()) {
    if (!(await applyOne(ctx, kept.record, false, retries))) return false;
  }
  let ahead = firstPage;
  // Folders found inside the library (no link leading out) by one page are not checked again by the next.
  const checkedDirs = new Set<string>();
  // The previous page's place(), still running while this page is applied (not in Drive, where order matters).
  let placing: PlacingPage | undefined;
  const settled = async (): Promise<boolean> => {
    const last = placing;
    placing = undefined;
    return last ? last.done : true;
  };
  try {
    for (;;) {
      const request = ahead ?? fetchFirstPage(ctx, zone);
      ahead = undefined;
      const page = await guard(ctx, undefined, () => request);
      if (!page.ok) {
        if (!(await settled())) return false;
        if (isTokenExpired(page.error)) {
          startResync(ctx, zone);
          continue;
        }
        if (page.failure) ctx.downloadsStopped = page.failure;
        return false;
      }
      // The server reads the next page while this one is written (its token is this page's, saved once placed).
      if (page.value.more) ahead = requestPage(ctx, zone, page.value.token);
      if (zone === 'drive' && !(await settled())) return false;
      const resyncing = store.getMeta(resyncKey(zone)) === '1';
      const writes = new PageWrites(
        ctx,
        async (records) => {
          // New files whose names were taken meanwhile: applied again without the batch (they were counted once already).
          for (const record of records) {
            ctx.pulled--;
            if (!(await applyOne(ctx, record, resyncing, retries))) return false;
          }
          return true;
        },
        checkedDirs,
      );
      let stopped: boolean;
      try {
        // Direct applies commit per record without fsync (a killed process keeps them); the page's batch and token with one.
        stopped = await store.relaxed(() => applyPage(ctx, zone, page.value.changes, resyncing, retries, writes, placing));
      } catch (error) {
        await writes.discard();
        throw error;
      }
      if (stopped) {
        await writes.discard();
        await settled();
        return false;
      }
      const keys = new Set(writes.keys);
      const after = placing?.done;
      // Only the zone's last page commits with an fsync (see PageWrites.place). It runs while the next page is
      // fetched and applied; a page that failed or stopped leaves no temp file and mirrors none of its staged rows.
      const done = writes
        .place(
          () => {
            store.setMeta(feedTokenKey(zone), page.value.token);
            store.setMeta(WATCH_TOKEN_KEY, page.value.token);
          },
          { durable: !page.value.more, ...(after ? { after } : {}) },
        )
        .then((placed) => {
          if (placed) ctx.progress();
          return placed;
        })
        .finally(() => writes.discard());
      done.catch(() => undefined); // awaited below or by the next page
      placing = { keys, done };
      if (!page.value.more) break;
    }
    if (!(await settled())) return false;
  } finally {
    // A thrown error leaves no page placing behind it.
    await placing?.done.catch(() => undefined);
  }
  if (store.getMeta(resyncKey(zone)) === '1') await finishResync(ctx, zone);
  return true;
}

/** A page being placed while the next is applied: the ids and paths it touches, and its place(). */
interface PlacingPage {
  readonly keys: ReadonlySet<string>;
  readonly done: Promise<boolean>;
}

/** What applying a page needs of each record, loaded in one query each instead of one per record. */
interface PageView {
  mirror: Map<string, MirrorItem>;
  pending: Set<string>;
  writes: PageWrites;
}

const keysOf = (record: NimbusRecord): string[] => {
  const path = record.data?.['path'] ?? record.data?.['name'];
  return typeof path === 'string' ? [`id:${record.id}`, `path:${path.toLowerCase()}`] : [`id:${record.id}`];
};

/**
 * Applies a page's records, several at a time (file writes overlap) except in Drive, where folders and moves
 * depend on order. Two records naming the same file never run together, and a record touching a staged one
 * waits until the batch is placed. Returns true when stopped.
 */
async function applyPage(
  ctx: PassContext,
  zone: Zone,
  records: readonly NimbusRecord[],
  resyncing: boolean,
  retries: KeptRecords,
  writes: PageWrites,
  previous?: PlacingPage,
): Promise<boolean> {
  const ids = records.map((r) => r.id);
  const view: PageView = { mirror: ctx.store.mirrorMany(zone, ids), pending: ctx.outbox.pendingAmong(zone, ids), writes };
  const limit = zone === 'drive' ? 1 : Math.max(1, ctx.tuning.applyConcurrency);
  const running = new Set<Promise<void>>();
  const busy = new Set<string>();
  let stopped = false;
  let failure: { error: unknown } | undefined;
  // One waiter at a time (this loop): woken when any task ends, without racing every running task again.
  let wake: (() => void) | undefined;
  const oneEnded = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  for (const [index, record] of records.entries()) {
    const keys = keysOf(record);
    if (previous && keys.some((k) => previous?.keys.has(k))) {
      // It touches what the previous page is placing: once that is mirrored, the rest of this page's rows (and
      // waiting local changes) are read again.
      await Promise.all(running);
      if (stopped || !(await previous.done)) {
        stopped = true;
        break;
      }
      previous = undefined;
      const rest = ids.slice(index);
      const fresh = ctx.store.mirrorMany(zone, rest);
      for (const id of rest) {
        const row = fresh.get(id);
        if (row) view.mirror.set(id, row);
        else view.mirror.delete(id);
      }
      // Its records applied again (names taken meanwhile) may have left follow-ups waiting to go up.
      for (const id of ctx.outbox.pendingAmong(zone, rest)) view.pending.add(id);
    }
    while (!stopped && (running.size >= limit || keys.some((k) => busy.has(k)))) await oneEnded();
    if (stopped) break;
    // Order-sensitive work (anything in Drive but a new item) and records touching a staged file: place the batch first.
    const ordered = zone === 'drive' && (record.deleted || view.mirror.has(record.id));
    if (writes.staged > 0 && (ordered || keys.some((k) => writes.keys.has(k)))) {
      await Promise.all(running);
      if (stopped || !(await writes.place(undefined, previous ? { after: previous.done } : {}))) {
        stopped = true;
        break;
      }
    }
    for (const k of keys) busy.add(k);
    const task: Promise<void> = applyOne(ctx, record, resyncing, retries, view, keys)
      .then(
        (ok) => {
          if (!ok) stopped = true;
        },
        (error: unknown) => {
          stopped = true;
          failure ??= { error };
        },
      )
      .finally(() => {
        running.delete(task);
        for (const k of keys) busy.delete(k);
        wake?.();
        wake = undefined;
      });
    running.add(task);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  return stopped;
}

/** Applies one record unless the mirror has it already or a local change of it waits (the push merges then). */
async function applyOne(ctx: PassContext, record: NimbusRecord, resyncing: boolean, retries: KeptRecords, view?: PageView, keys?: string[]): Promise<boolean> {
  const mirror = view ? view.mirror.get(record.id) : ctx.store.getMirror(record.zone, record.id);
  if (resyncing && mirror) ctx.store.markSeen(record.zone, record.id);
  retries.settled(record); // a newer copy (or this one, tried again) takes the kept one's place
  if (mirror && mirror.version >= record.version) return true; // our own write coming back, or seen already
  if (view ? view.pending.has(record.id) : ctx.outbox.hasPending(record.zone, record.id)) return true; // the push gets a conflict and merges
  if (record.deleted && (!mirror || mirror.deleted)) return true; // never had it: nothing to remove
  const applied = await guard(ctx, undefined, () => applyRemote(ctx, record, view ? { mirror, page: view.writes, ...(keys ? { keys } : {}) } : {}));
  if (applied.ok) {
    if (view) {
      view.mirror.set(record.id, applied.value.row);
      if (applied.value.followUps) view.pending.add(record.id);
    }
    ctx.pulled++;
    return true;
  }
  if (applied.failure) {
    ctx.downloadsStopped = applied.failure;
    return false;
  }
  const path = isItemError(applied.error) ? applied.error.path : `${record.zone}/${record.id}`;
  const reason = isItemError(applied.error) ? applied.error.reason : String((applied.error as Error).message ?? applied.error);
  ctx.setAside(serviceOf(record.zone), path, reason);
  retries.keep(record, reason);
  return true;
}

/** The zone's kept records, with their keys in memory so that applying a page costs no extra query per record. */
class KeptRecords {
  readonly #kept: Map<string, PullRetry>;
  constructor(
    private readonly retries: PullRetries,
    zone: Zone,
  ) {
    this.#kept = new Map(retries.of(zone).map((kept) => [kept.record.id, kept]));
  }
  all(): PullRetry[] {
    return [...this.#kept.values()];
  }
  settled(record: NimbusRecord): void {
    if (this.#kept.delete(record.id)) this.retries.forget(record.zone, record.id);
  }
  keep(record: NimbusRecord, reason: string): void {
    this.#kept.set(record.id, { record, reason });
    this.retries.keep(record, reason);
  }
}

function isTokenExpired(error: unknown): boolean {
  return error instanceof NimbusError && error.kind === 'CHANGE_TOKEN_EXPIRED';
}

/** The token is too old: read the zone from scratch; whatever the mirror has that the feed no longer shows was deleted. */
function startResync(ctx: PassContext, zone: Zone): void {
  ctx.store.tx(() => {
    ctx.store.deleteMeta(feedTokenKey(zone));
    ctx.store.setMeta(resyncKey(zone), '1');
    ctx.store.markZoneUnseen(zone);
  });
}

async function finishResync(ctx: PassContext, zone: Zone): Promise<void> {
  for (const item of ctx.store.unseenLive(zone)) {
    if (ctx.outbox.hasPending(zone, item.id)) continue;
    const tombstone: NimbusRecord = { zone, id: item.id, version: item.version + 1, deleted: true, data: null, blobs: [], size: 0, modifiedAt: ctx.now() };
    const applied = await guard(ctx, undefined, () => applyRemote(ctx, tombstone));
    if (!applied.ok && applied.failure) {
      ctx.downloadsStopped = applied.failure;
      return;
    }
  }
  ctx.store.deleteMeta(resyncKey(zone));
}
