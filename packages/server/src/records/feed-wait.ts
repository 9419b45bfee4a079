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
  let wake: (() => void) | undefined;
  // Subscribed before the first read: a commit between the read and the wait still wakes us.
  const unsubscribe = ctx.notifier.subscribe(accountId, (event) => {
    if (event.kind === 'storage') storageChanged = true;
    moved = true;
    wake?.();
  });
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      moved = false;
      const page = await readChangesPage(ctx, accountId, request);
      const left = deadline - Date.now();
      // Space freed or the quota changed answers too, with nothing new in these zones: a device paused for storage wants to know now.
      if (storageChanged) return withStorageChanged(page.json);
      if (page.count > 0 || left <= 0 || signal.aborted) return page.json;
      // A publish during the read (another zone, or our own write) is re-read at once.
      if (!moved) await sleepUntilWoken(left, signal, (fn) => (wake = fn));
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}

function sleepUntilWoken(ms: number, signal: AbortSignal, setWake: (fn: () => void) => void): Promise<void> {
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

/** Adds `"storageChanged": true` to a page's JSON (an object ending in `}`). */
function withStorageChanged(json: string): string {
  return `${json.slice(0, -1)},"storageChanged":true}`;
}
