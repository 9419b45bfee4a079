// The long-poll of the change feed: with nothing newer than `since`, wait for a publish on the account (or the timeout).
import type { ServerContext } from '../context.js';
import { readChangesPage, type FeedRequest } from './records-service.js';

/**
 * A page of changes as JSON, like readChangesJson; when the page is empty, waits up to `waitMs`
 * for the account's feed to move (ctx.notifier) and reads again. Answers the empty page at the
 * timeout, or at once when `signal` aborts (the client hung up, the server is closing).
 * Timing is real time: a long-poll is about the wall clock, not the business clock of ctx.clock.
 */
export async function waitForChangesJson(
  ctx: ServerContext,
  accountId: string,
  request: FeedRequest,
  waitMs: number,
  signal: AbortSignal,
): Promise<string> {
  let moved: boolean;
  let storageChanged = false;
  let servicesChanged = false;
  let wake: (() => void) | undefined;
  // Subscribed before the first read: a commit between the read and the wait still wakes us.
  const unsubscribe = ctx.notifier.subscribe(accountId, (event) => {
    // A device's status report moves nothing a device waits for here.
    if (event.kind === 'devices') return;
    if (event.kind === 'storage') storageChanged = true;
    if (event.kind === 'services') servicesChanged = true;
    moved = true;
    wake?.();
  });
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      moved = false;
      const page = await readChangesPage(ctx, accountId, request);
      const left = deadline - Date.now();
      // Space freed or the quota changed answers too, with nothing new in these zones: a device paused for storage wants to know now;
      // so does the account switching a service on or off (devices obey at their next pass).
      if (storageChanged || servicesChanged) return withFlags(page.json, { storageChanged, servicesChanged });
      if (page.count > 0 || left <= 0 || signal.aborted) return page.json;
      // A publish during the read (another zone, or our own write) is re-read at once.
      if (!moved) await sleepUntilWoken(left, signal, (fn) => (wake = fn));
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}

/** Resolves after `ms`, when `signal` aborts, or when the function handed to `setWake` is called. */
export function sleepUntilWoken(ms: number, signal: AbortSignal, setWake: (fn: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    setWake(done);
  });
}

/** Adds `"storageChanged": true` and/or `"servicesChanged": true` to a page's JSON (an object ending in `}`). */
function withFlags(json: string, flags: { storageChanged: boolean; servicesChanged: boolean }): string {
  const added = Object.entries(flags)
    .filter(([, on]) => on)
    .map(([name]) => `,"${name}":true`)
    .join('');
  return `${json.slice(0, -1)}${added}}`;
}
