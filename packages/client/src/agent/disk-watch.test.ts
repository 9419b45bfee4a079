import { describe, expect, it } from 'vitest';
import { diskWatch } from './disk-watch.js';
import { ManualTimers } from './timers.js';

describe('diskWatch', () => {
  it('while paused for a full disk, triggers a pass once space is freed; otherwise reads nothing', () => {
    const timers = new ManualTimers();
    let paused = false;
    let free = 10_000;
    let reads = 0;
    const reasons: string[] = [];
    const stop = diskWatch({ timers, pausedForDisk: () => paused, freeBytes: () => (reads++, free), everyMs: 1000 })((r) => reasons.push(r), undefined as never);
    timers.advance(3000);
    expect(reads).toBe(0);
    paused = true;
    timers.advance(3000);
    expect(reasons).toEqual([]);
    free += 5 * 1024 * 1024;
    timers.advance(1000);
    expect(reasons).toEqual(['library']);
    timers.advance(3000);
    expect(reasons).toEqual(['library']);
    stop();
  });
});
