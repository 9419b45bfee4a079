// Devices and their reported sync status: store a device's report, list the account's devices, long-poll the listing.
import type { DeviceStatusReport, DevicesResponse } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import type { AuthContext } from '../auth/guard.js';
import { listDevices } from '../auth/session-store.js';
import type { ServerContext } from '../context.js';
import { sleepUntilWoken } from '../records/feed-wait.js';
import { upsertDeviceStatus } from './device-status-store.js';

/** Stores the calling device's status (its session's row) and tells the account's watchers. */
export async function reportDeviceStatus(ctx: ServerContext, auth: AuthContext, report: DeviceStatusReport): Promise<{ reportedAt: number }> {
  const at = ctx.clock.now();
  await upsertDeviceStatus(ctx.store.db, { sessionId: auth.sessionId, accountId: auth.accountId, report, at });
  devicesChanged(ctx, auth.accountId);
  return { reportedAt: at };
}

/** A device reported, signed in or out: watchers of the account's devices (GET /v1/devices?wait=N) answer now. */
export function devicesChanged(ctx: Pick<ServerContext, 'notifier'>, accountId: string): void {
  ctx.notifier.publish(accountId, { kind: 'devices' });
}

/** The account's signed-in devices with their status, and a revision that changes whenever the listing does. */
export async function devicesListing(ctx: ServerContext, auth: AuthContext): Promise<Required<DevicesResponse>> {
  const devices = await listDevices(ctx.store.reader, auth.accountId, auth.sessionId, ctx.clock.now());
  const revision = createHash('sha256').update(JSON.stringify(devices)).digest('base64url').slice(0, 22);
  return { devices, revision };
}

/**
 * The listing once it differs from `since` (a device reported, signed in or out: the `devices` account event), or as
 * it is after `waitMs`. Subscribed before the first read, so a report between the read and the wait still wakes it.
 * Real time, like the feed's long-poll.
 */
export async function waitForDevices(
  ctx: ServerContext,
  auth: AuthContext,
  since: string,
  waitMs: number,
  signal: AbortSignal,
): Promise<Required<DevicesResponse>> {
  let wake: (() => void) | undefined;
  let reported: boolean;
  const unsubscribe = ctx.notifier.subscribe(auth.accountId, (event) => {
    if (event.kind !== 'devices') return;
    reported = true;
    wake?.();
  });
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      reported = false;
      const listing = await devicesListing(ctx, auth);
      const left = deadline - Date.now();
      if (listing.revision !== since || left <= 0 || signal.aborted) return listing;
      if (!reported) await sleepUntilWoken(left, signal, (fn) => (wake = fn));
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}
