// Periodic housekeeping: abandoned uploads, unreferenced blobs, orphaned staged files, old tombstones, backups of full accounts.
import type { Logger } from 'pino';
import { pruneFullAccounts } from './backups/backup-pruning.js';
import type { WarnLogger } from './blobs/blob-refs.js';
import { sweepAbandonedUploads, sweepOrphanStagedFiles, sweepUnreferencedBlobs } from './blobs/blob-sweep.js';
import type { ServerContext } from './context.js';
import { purgeTombstones, TOMBSTONE_RETENTION_MS } from './records/tombstone-purge.js';

/** How often the sweeper runs, and how soon after start the first pass comes. */
export const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
const FIRST_SWEEP_MS = 30 * 1000;

export interface Sweeper {
  stop(): void;
}

export interface SweepResult {
  uploads: number;
  blobs: number;
  orphanFiles: number;
  tombstones: number;
  /** Backup snapshots pruned from accounts above 90 % whose policy allows it. */
  backups: number;
}

/**
 * One pass at time `now`. Safe to run in several server processes at once: every delete
 * re-checks its condition under the account lock, so each item is released exactly once.
 */
export async function sweepOnce(ctx: ServerContext, now: number, log: WarnLogger = { warn: () => undefined }): Promise<SweepResult> {
  const cutoff = now - ctx.config.uploadExpiryMs;
  const uploads = await sweepAbandonedUploads(ctx, cutoff);
  const blobs = await sweepUnreferencedBlobs(ctx, cutoff);
  const orphanFiles = await sweepOrphanStagedFiles(ctx, cutoff);
  const tombstones = await purgeTombstones(ctx.store.db, now - TOMBSTONE_RETENTION_MS);
  const backups = await pruneFullAccounts(ctx, log);
  return { uploads, blobs, orphanFiles, tombstones, backups };
}

/** Runs sweepOnce every few minutes on unref'd timers (they never keep the process alive). */
export function startSweeper(ctx: ServerContext, logger: Logger): Sweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delay: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void run(), delay);
    timer.unref();
  };
  const run = async (): Promise<void> => {
    try {
      const result = await sweepOnce(ctx, ctx.clock.now(), logger);
      if (result.uploads + result.blobs + result.orphanFiles + result.tombstones + result.backups > 0) logger.info({ sweep: result }, 'sweeper pass');
    } catch (error) {
      if (!stopped) logger.warn({ err: error }, 'sweeper pass failed; retrying on the next pass');
    }
    schedule(SWEEP_INTERVAL_MS);
  };
  schedule(FIRST_SWEEP_MS);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
