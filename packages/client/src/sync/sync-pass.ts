// One pass: scan the library into the outbox, push lane by lane, pull every zone, push what the pull produced.
import { SERVICE_ZONE, type Service, type Zone } from '@nimbus/protocol';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ItemError } from '../adapters/adapter.js';
import { LANE_SERVICES, LANES, type Lane } from '../engine/lanes.js';
import { optimizePhotos } from '../photos/optimize-step.js';
import { StagedMirror } from '../store/staged-mirror.js';
import { recordLocal, type PassContext } from './pass-context.js';
import { feedTokenKey, fetchFirstPage, pullZone } from './pull.js';
import { pushLane } from './push.js';

/**
 * Scans every enabled service's folder (or only those of `only`); all changes go into the outbox (and the mirror's local
 * stat) in one transaction.
 */
export async function scanAll(ctx: PassContext, settleMs: number, only: ReadonlySet<Service> = ctx.scanned): Promise<number> {
  let found = 0;
  for (const adapter of ctx.adapters.values()) {
    if (!ctx.scanned.has(adapter.service) || !only.has(adapter.service)) continue;
    const mirror = ctx.store.mirrorZone(adapter.zone);
    const onItemError = (error: ItemError) => ctx.setAside(adapter.service, error.path, error.reason);
    const changes = await adapter.scan(mirror, ctx.library, { settleMs, now: ctx.now, onItemError });
    if (changes.length === 0) continue;
    ctx.store.tx(() => {
      for (const change of changes) {
        const item = mirror.get(change.id);
        ctx.outbox.enqueue(change, item?.version ?? 0, ctx.now());
        recordLocal(ctx.store, change, item);
      }
    });
    found += changes.length;
  }
  if (found > 0) ctx.progress();
  return found;
}

/** Push rounds until nothing moves: a conflict resolved in one round is sent in the next. */
export async function pushAll(ctx: PassContext): Promise<void> {
  for (let round = 0; round < ctx.tuning.maxRounds; round++) {
    let moved = 0;
    for (const lane of LANES) {
      if (!laneAllowed(ctx, lane)) continue;
      moved += await pushLane(ctx, lane);
    }
    if (moved === 0) return;
  }
}

/**
 * Pulls every allowed zone; stops at the first zone that cannot go on (a full disk). Every zone's first page is
 * asked for at once: a pass with nothing new costs one round trip, not one per zone.
 */
export async function pullAll(ctx: PassContext): Promise<void> {
  const zones = new Set<Zone>();
  for (const service of ctx.allowed) zones.add(SERVICE_ZONE[service]);
  const firstPages = new Map([...zones].map((zone) => [zone, fetchFirstPage(ctx, zone)] as const));
  for (const zone of zones) {
    if (!(await pullZone(ctx, zone, firstPages.get(zone)))) return;
  }
}

export interface PassSteps {
  settleMs: number;
}

/** The whole pass; PassStopped (auth, network…) propagates to the engine, which pauses with it. */
export async function runSteps(ctx: PassContext, steps: PassSteps): Promise<void> {
  // Files a crashed pull renamed into place but had not mirrored yet: mirrored now, before a scan mistakes them for new ones.
  await new StagedMirror(ctx.store).recover(ctx.library.root);
  // A first pull must not fetch a service the account has switched off: the switches come first then (the usual pass
  // asks for them beside the scan, and waits before anything is sent).
  if ([...ctx.allowed].some((s) => isFresh(ctx, SERVICE_ZONE[s]))) await ctx.accountChecked?.();
  // A zone never pulled here whose folder already holds files (a library that meets the account with copies of
  // its files) is pulled before its folder is scanned: the files are matched with the account's records instead
  // of going up as new ones. An empty folder has nothing to match: the usual order (and no second scan).
  const fresh = new Set([...ctx.allowed].map((s) => SERVICE_ZONE[s]).filter((zone) => isFresh(ctx, zone)));
  if (fresh.size > 0) {
    ctx.adopting = fresh;
    try {
      await pullAll(ctx);
    } finally {
      ctx.adopting = undefined;
    }
  }
  await scanAll(ctx, steps.settleMs);
  // Nothing goes up or comes down before the account's switches are known; a service the account switched back on is scanned now.
  const added = (await ctx.accountChecked?.()) ?? new Set<Service>();
  if (added.size > 0) await scanAll(ctx, steps.settleMs, added);
  await pushAll(ctx);
  await pullAll(ctx);
  // Follow-ups from the pull (merged notes, conflict copies, edits that outlived a delete) go up now.
  if (ctx.outbox.busyLanes().size > 0) await pushAll(ctx);
  // Optimize Storage: originals safely on the server may give way to stand-ins, or come back.
  if (ctx.allowed.has('photos') && ctx.adapters.has('photos') && !ctx.downloadsStopped) await optimizePhotos(ctx);
}

/** A lane runs when one of its services is allowed in this pass. */
function laneAllowed(ctx: PassContext, lane: Lane): boolean {
  return LANE_SERVICES[lane].some((s) => ctx.allowed.has(s));
}

/** Never pulled here, and its folder already holds files: pulled first, to match those files with the account's records. */
function isFresh(ctx: PassContext, zone: Zone): boolean {
  return ctx.store.getMeta(feedTokenKey(zone)) === undefined && holdsFiles(ctx, zone);
}

/** Whether the zone's library folder has anything in it (a missing folder has not). */
function holdsFiles(ctx: PassContext, zone: Zone): boolean {
  const adapter = ctx.adapters.get(zone);
  if (!adapter) return false;
  try {
    return readdirSync(join(ctx.library.root, adapter.folder)).length > 0;
  } catch {
    return false;
  }
}
