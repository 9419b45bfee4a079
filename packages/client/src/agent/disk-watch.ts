// A device paused because its disk is full resumes when space is freed anywhere on that disk — not only in the
// library, whose watcher would see it: emptying the trash or deleting a download elsewhere frees it too.
import { statfsSync } from 'node:fs';
import type { TriggerSource } from './agent.js';
import { every, type Timers } from './timers.js';

export interface DiskWatchOptions {
  readonly timers: Timers;
  /** True while sync is paused with LOCAL_STORAGE_FULL (checked at each tick; nothing is read otherwise). */
  readonly pausedForDisk: () => boolean;
  /** Free bytes where the library lives (default: statfs of `path`). */
  readonly freeBytes?: () => number;
  readonly path?: string;
  readonly everyMs?: number;
}

/** More free space than this since the last look counts as "space was freed". */
const FREED_BYTES = 1024 * 1024;

/** While paused for a full disk, looks at the free space every 2 s and triggers a pass when it grew. */
export function diskWatch(options: DiskWatchOptions): TriggerSource {
  const free = options.freeBytes ?? (() => freeBytesAt(options.path ?? '.'));
  return (trigger) => {
    let last: number | null = null;
    return every(options.timers, options.everyMs ?? 2_000, () => {
      if (!options.pausedForDisk()) {
        last = null;
        return;
      }
      const now = free();
      if (last !== null && now - last > FREED_BYTES) trigger('library');
      last = now;
    });
  };
}

function freeBytesAt(path: string): number {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}
