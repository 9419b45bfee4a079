import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualTimers, systemTimers } from './timers.js';
import { LibraryWatcher, type WatchPort, type WatchReason } from './watcher.js';

function fakeWatch(): { port: WatchPort; emit: (path: string | null) => void; fail: () => void; starts: number } {
  const state = {
    starts: 0,
    emit: (path: string | null): void => void path,
    fail: (): void => undefined,
    port: ((_root, onEvent, onError) => {
      state.starts++;
      state.emit = onEvent;
      state.fail = () => onError(new Error('gone'));
      return () => undefined;
    }) as WatchPort,
  };
  return state;
}

describe('LibraryWatcher', () => {
  it('debounces a burst of events into one change, but never delays past maxDelay', () => {
    const timers = new ManualTimers();
    const fake = fakeWatch();
    const told: WatchReason[] = [];
    const watcher = new LibraryWatcher({ root: '/lib', timers, watch: fake.port, onChange: (r) => told.push(r), debounceMs: 300, maxDelayMs: 1000, rescanMs: 60_000 });
    watcher.start();
    fake.emit('Notes/a.md');
    timers.advance(200);
    fake.emit('Notes/a.md');
    timers.advance(299);
    expect(told).toEqual([]);
    timers.advance(1);
    expect(told).toEqual(['change']);
    for (let i = 0; i < 10; i++) {
      fake.emit(`Drive/f${i}`);
      timers.advance(150);
    }
    expect(told).toEqual(['change', 'change']);
    timers.advance(300);
    expect(told).toEqual(['change', 'change', 'change']);
    watcher.stop();
    fake.emit('Notes/b.md');
    timers.advance(10_000);
    expect(told).toEqual(['change', 'change', 'change']);
  });

  it('ignores its own temp files; rescans on a timer and re-watches after the watch broke', () => {
    const timers = new ManualTimers();
    const fake = fakeWatch();
    const told: WatchReason[] = [];
    const watcher = new LibraryWatcher({ root: '/lib', timers, watch: fake.port, onChange: (r) => told.push(r), rescanMs: 5_000 });
    watcher.start();
    fake.emit('Notes/.nimbus-tmp-abc123-a.md');
    timers.advance(1000);
    expect(told).toEqual([]);
    timers.advance(4000);
    expect(told).toEqual(['rescan']);
    fake.fail();
    expect(told).toEqual(['rescan', 'rescan']);
    expect(watcher.watching).toBe(false);
    timers.advance(5000);
    expect(fake.starts).toBe(2);
    expect(watcher.watching).toBe(true);
    watcher.stop();
    expect(timers.pending).toBe(0);
  });

  it('hears a real file written deep in the library (fs.watch recursive)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nimbus-watch-'));
    try {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(root, 'Drive', 'deep'), { recursive: true });
      const heard = new Promise<WatchReason>((resolve) => {
        const watcher = new LibraryWatcher({ root, timers: systemTimers, debounceMs: 20, onChange: (r) => (watcher.stop(), resolve(r)) });
        watcher.start();
      });
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(join(root, 'Drive', 'deep', 'x.txt'), 'hello');
      expect(await heard).toBe('change');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
