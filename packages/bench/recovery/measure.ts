// Clocks for the recovery bench: the status the agent stores, polled every 50 ms, timed with performance.now().
import type { SyncStatusJson } from '@nimbus/protocol';
import { performance } from 'node:perf_hooks';
import { storedStatus } from '../../cli/src/engine-session.js';

export const POLL_MS = 50;

/**
 * Polls what `nimbus status --json` prints (the same `storedStatus`, read in-process: a CLI start per poll would
 * take longer than the interval) until `done`; seconds since `from`, or null after `timeoutMs`.
 */
export async function secondsUntil(
  home: string,
  from: number,
  done: (status: SyncStatusJson) => boolean,
  timeoutMs: number,
): Promise<{ seconds: number | null; last: SyncStatusJson | undefined }> {
  let last: SyncStatusJson | undefined;
  for (;;) {
    last = await storedStatus(home).catch(() => last);
    if (last && done(last)) return { seconds: (performance.now() - from) / 1000, last };
    if (performance.now() - from > timeoutMs) return { seconds: null, last };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export const names = (cause: string) => (status: SyncStatusJson): boolean => status.state === 'paused' && status.failure?.cause === cause;

/** "Up to date": idle, no failure, nothing pending. */
export const upToDate = (status: SyncStatusJson): boolean =>
  status.state === 'idle' && status.failure === null && Object.values(status.pending).every((n) => n === 0);

/** Runs `work` and returns its wall time in seconds with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { seconds: (performance.now() - start) / 1000, result };
}
