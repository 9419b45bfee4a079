// Hears other devices' changes at once: a long-poll of the change feed, one at a time, that triggers a pass.
import { classify, RETRY_QUIETLY } from '../engine/classify.js';
import type { SyncAgent, TriggerSource } from './agent.js';
import { Backoff } from './backoff.js';
import { every, type Timers } from './timers.js';

/**
 * One long-poll from the engine's current feed position (GET /v1/changes?since=TOKEN&wait=N&limit=1):
 * true when the feed holds changes past it, false when the wait ran out quietly. Throws when the
 * server cannot be reached. `quick`: answer at once, without waiting on the server (a reconnect check).
 */
export type FeedWait = (signal: AbortSignal, quick: boolean) => Promise<boolean>;

export interface ServerListenerOptions {
  readonly wait: FeedWait;
  readonly timers: Timers;
  /** Between polls that fail (reconnect checks); a server's Retry-After is honoured beyond its cap. */
  readonly backoff?: Backoff;
  /** A failed poll: the agent's pass will classify and report it, so this is only for logs. */
  readonly onError?: (error: unknown) => void;
}

/**
 * A trigger source. After a change is heard it waits for the pass it caused to finish before polling
 * again (the engine's token has then moved past the change), so polls never outrun passes. A poll
 * that succeeds after failures triggers 'reconnect': the network or the server is back. While polls fail
 * (or the agent is paused) they are quick checks a few seconds apart, not long waits, so a reconnect is heard
 * within seconds rather than after a long-poll's wait.
 */
export function serverListener(options: ServerListenerOptions): TriggerSource {
  return (trigger, agent) => {
    const stop = new AbortController();
    void listen(options, trigger, agent, stop.signal);
    return () => stop.abort();
  };
}

async function listen(options: ServerListenerOptions, trigger: (reason: 'server' | 'reconnect') => void, agent: SyncAgent, signal: AbortSignal): Promise<void> {
  const backoff = options.backoff ?? new Backoff({ baseMs: 500, capMs: RECONNECT_CHECK_CAP_MS });
  // The first pass sets the engine's feed position: poll from there. A first pass that paused is checked like a failure.
  let failing = (await agent.settled())?.state === 'paused';
  while (!signal.aborted) {
    let changed: boolean;
    try {
      changed = await options.wait(signal, failing);
    } catch (error) {
      if (signal.aborted) return;
      failing = true;
      options.onError?.(error);
      // A busy server's Retry-After holds for the listener too (the one classifier reads it).
      const now = options.timers.now();
      const judged = classify(error, { now });
      await sleep(options.timers, backoff.next(now, judged === RETRY_QUIETLY ? null : judged), signal);
      continue;
    }
    if (!failing && !changed) {
      backoff.reset();
      continue;
    }
    const settled = agent.settled();
    trigger(failing ? 'reconnect' : 'server');
    failing = false;
    // A pass that did not get up to date left the feed position where it was: the next wait would
    // answer at once, so pace the polls (paused, signed out) instead of spinning.
    if ((await settled)?.state === 'idle') backoff.reset();
    else await sleep(options.timers, backoff.next(options.timers.now()), signal);
  }
}

/**
 * Reconnect checks while failing are at most this far apart: resuming waits on them (the target is to resume
 * within 2 s of a fault's removal; bench:recovery measured 2–3.7 s after long faults with a 5 s cap). A check
 * of a dead link is one request that fails at once, or waits out NIMBUS_REQUEST_TIMEOUT_MS in a black hole.
 */
export const RECONNECT_CHECK_CAP_MS = 1_500;

function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = timers.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** How often settings and the session file are looked at: a `nimbus login` resumes within this (plus a pass). */
const CONFIG_CHECK_MS = 1_000;

/** A trigger source that polls a cheap fingerprint (settings rows, the session file) and triggers 'config' when it changes. */
export function configWatcher(options: { readonly read: () => string; readonly timers: Timers; readonly everyMs?: number }): TriggerSource {
  return (trigger) => {
    let last = safeRead(options.read);
    return every(options.timers, options.everyMs ?? CONFIG_CHECK_MS, () => {
      const now = safeRead(options.read);
      if (now !== last) {
        last = now;
        trigger('config');
      }
    });
  };
}

function safeRead(read: () => string): string {
  try {
    return read();
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}
