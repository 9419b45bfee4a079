// What every step of one pass shares: ports, the outbox, the failures met so far, and how errors are judged.
import { ZONE_SERVICE, type Service, type SyncFailure, type Zone } from '@nimbus/protocol';
import type { LibraryFs, LocalChange, ServiceAdapter } from '../adapters/adapter.js';
import { classify, RETRY_QUIETLY, type Classification, type ProbeResult } from '../engine/classify.js';
import type { Lane } from '../engine/lanes.js';
import type { LocalStore } from '../store/local-store.js';
import type { Outbox } from '../store/outbox.js';
import type { EngineTuning, SyncTransport } from './ports.js';

/** A failure that stops the whole pass (auth, network, server, clock): thrown out of the steps. */
export class PassStopped extends Error {
  constructor(readonly failure: SyncFailure) {
    super(failure.message);
    this.name = 'PassStopped';
  }
}

export interface PassContext {
  readonly store: LocalStore;
  readonly outbox: Outbox;
  readonly transport: SyncTransport;
  readonly library: LibraryFs;
  readonly adapters: ReadonlyMap<Zone, ServiceAdapter>;
  readonly downloadsDir: string;
  readonly tuning: EngineTuning;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
  /** Lanes whose uploads stopped in this pass (QUOTA_EXCEEDED), with why. */
  readonly laneStops: Map<Lane, SyncFailure>;
  /** Services allowed to run in this pass (enabled, and not held back by a metered network). */
  readonly allowed: ReadonlySet<Service>;
  /**
   * Services whose folders are scanned: every enabled one, those waiting for Wi-Fi too — their changes are in the
   * outbox (and counted as waiting) before the network allows them, and nothing is sent until it does.
   */
  readonly scanned: ReadonlySet<Service>;
  /**
   * Waits for the account's service switches asked at the start of the pass, narrows (or widens) `allowed` and `scanned`
   * to them, and answers the services that are now scanned but were not before (to scan them in this pass too).
   */
  accountChecked?: (() => Promise<ReadonlySet<Service>>) | undefined;
  /** Zones in their first pull on this device: files already at incoming names are adopted (ApplyOptions.adopt). */
  adopting?: ReadonlySet<Zone> | undefined;
  /** Downloads stopped (LOCAL_STORAGE_FULL). */
  downloadsStopped: SyncFailure | null;
  /** Items moved (pushed or pulled) in this pass. */
  pushed: number;
  pulled: number;
  /** An item could not sync: shown in status as set aside. */
  setAside(service: Service, id: string, reason: string): void;
  /** Outbox counts changed, or bytes moved: for the status and its watchdog. */
  progress(): void;
  /** Transfer bytes: `total` more expected, `done` more moved (the status's byte progress). */
  bytes?(done: number, total: number): void;
  /** Turns an error into a failure with the probe's help (the one classifier decides). */
  judge(error: unknown, lane?: Lane): Promise<Classification>;
}

/** Runs `fn`; an error the classifier calls a pass-wide cause becomes PassStopped, others are returned for the item. */
export async function guard<T>(ctx: PassContext, lane: Lane | undefined, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown; failure: SyncFailure | null }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof PassStopped) throw error;
    if (ctx.signal?.aborted) throw error;
    const judged = await ctx.judge(error, lane);
    if (judged === RETRY_QUIETLY) return { ok: false, error, failure: null };
    if (judged.cause === 'QUOTA_EXCEEDED' || judged.cause === 'LOCAL_STORAGE_FULL') return { ok: false, error, failure: judged };
    throw new PassStopped(judged);
  }
}

export function judgeWith(probe: (() => Promise<ProbeResult | undefined>) | undefined, now: () => number) {
  return async (error: unknown, lane?: Lane): Promise<Classification> => {
    const first = classify(error, { now: now(), ...(lane ? { lane } : {}) });
    // Network-looking failures are checked against a fresh probe before anyone is told.
    if (first === RETRY_QUIETLY || !worthProbing(first) || probe === undefined) return first;
    const result = await probe().catch(() => undefined);
    return classify(error, { now: now(), ...(lane ? { lane } : {}), ...(result ? { probe: result } : {}) });
  };
}

/**
 * A network cause, or a server that did not answer at all (a refused connection reads as "server down" until the
 * probe port answers: then the sync port is blocked). A server's own 503 with Retry-After needs no probe.
 */
function worthProbing(failure: SyncFailure): boolean {
  return failure.family === 'network' || (failure.cause === 'SERVER_UNAVAILABLE' && failure.retryAt === undefined);
}

/** Enqueues follow-ups of an apply/merge (call inside store.tx): same id → `version` as base, others their mirror's. */
export function enqueueChanges(ctx: Pick<PassContext, 'store' | 'outbox' | 'now'>, changes: readonly LocalChange[], sameId?: { id: string; version: number }): void {
  for (const change of changes) {
    const mirror = ctx.store.getMirror(change.zone, change.id);
    const base = sameId && change.id === sameId.id ? sameId.version : (mirror?.version ?? 0);
    ctx.outbox.enqueue(change, base, ctx.now());
    recordLocal(ctx.store, change, mirror);
  }
}

/** The mirror takes a change's local stat at once (the adapters' contract), keeping version and data. */
export function recordLocal(store: LocalStore, change: LocalChange, mirror = store.getMirror(change.zone, change.id)): void {
  const put = change.kind === 'put' ? change : undefined;
  store.putMirror({
    zone: change.zone,
    id: change.id,
    version: mirror?.version ?? 0,
    deleted: mirror?.deleted ?? false,
    data: mirror?.data ?? null,
    blobs: mirror?.blobs ?? [],
    path: put ? put.path : null,
    localSize: put ? put.localSize : null,
    localMtimeMs: put ? put.localMtimeMs : null,
    localHash: put ? put.localHash : null,
  });
}

export const serviceOf = (zone: Zone): Service => ZONE_SERVICE[zone];
