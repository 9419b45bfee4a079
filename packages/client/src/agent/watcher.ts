// Watches the library folder: fs.watch (recursive) with a debounce, and a periodic rescan as a safety net.
import { watch } from 'node:fs';
import { basename } from 'node:path';
import { TEMP_PREFIX } from '../adapters/atomic-write.js';
import type { CancelTimer, Timers } from './timers.js';

/** Starts watching `root`; `onEvent` gets the changed path relative to root (null when unknown). Returns stop. */
export type WatchPort = (root: string, onEvent: (path: string | null) => void, onError: (error: Error) => void) => () => void;

/** Node's fs.watch, recursive (inotify on Linux since Node 20, FSEvents on macOS). */
export const fsWatch: WatchPort = (root, onEvent, onError) => {
  const watcher = watch(root, { recursive: true, persistent: false }, (_type, name) => onEvent(name === null ? null : String(name)));
  watcher.on('error', onError);
  return () => watcher.close();
};

export type WatchReason = 'change' | 'rescan';

export interface WatcherOptions {
  readonly root: string;
  readonly timers: Timers;
  readonly onChange: (reason: WatchReason) => void;
  /** Quiet time after the last event before telling (an editor saving writes several events). */
  readonly debounceMs?: number;
  /** A steady stream of events still tells at least this often. */
  readonly maxDelayMs?: number;
  /** The safety net: events can be lost (inotify queue overflow, network file systems, a folder made later). */
  readonly rescanMs?: number;
  readonly watch?: WatchPort;
}

export class LibraryWatcher {
  readonly #options: WatcherOptions;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #rescanMs: number;
  #stopWatch: (() => void) | null = null;
  #debounce: CancelTimer | null = null;
  #firstEventAt: number | null = null;
  #rescan: CancelTimer | null = null;
  #running = false;

  constructor(options: WatcherOptions) {
    this.#options = options;
    this.#debounceMs = options.debounceMs ?? 300;
    this.#maxDelayMs = options.maxDelayMs ?? 2_000;
    this.#rescanMs = options.rescanMs ?? 60_000;
  }

  /** Whether fs events are flowing (false: only the periodic rescan runs). */
  get watching(): boolean {
    return this.#stopWatch !== null;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startWatch();
    this.#scheduleRescan();
  }

  stop(): void {
    this.#running = false;
    this.#stopWatch?.();
    this.#stopWatch = null;
    this.#debounce?.();
    this.#rescan?.();
    this.#debounce = this.#rescan = null;
  }

  #startWatch(): void {
    const watchPort = this.#options.watch ?? fsWatch;
    try {
      this.#stopWatch = watchPort(this.#options.root, (path) => this.#event(path), () => this.#lost());
    } catch {
      // Missing folder, inotify limit: the rescan timer carries on and tries to watch again.
      this.#stopWatch = null;
    }
  }

  /** The watch broke (folder removed, too many events): fall back to rescans, retried on the next one. */
  #lost(): void {
    this.#stopWatch?.();
    this.#stopWatch = null;
    this.#tell('rescan');
  }

  #event(path: string | null): void {
    if (!this.#running) return;
    // Our own atomic writes pass through temp files: those alone are not a user's change.
    if (path !== null && basename(path).startsWith(TEMP_PREFIX)) return;
    const { timers } = this.#options;
    const now = timers.now();
    this.#firstEventAt ??= now;
    this.#debounce?.();
    const wait = Math.min(this.#debounceMs, Math.max(0, this.#firstEventAt + this.#maxDelayMs - now));
    this.#debounce = timers.setTimeout(() => this.#tell('change'), wait);
  }

  #tell(reason: WatchReason): void {
    this.#debounce?.();
    this.#debounce = null;
    this.#firstEventAt = null;
    if (this.#running) this.#options.onChange(reason);
  }

  #scheduleRescan(): void {
    this.#rescan = this.#options.timers.setTimeout(() => {
      if (!this.#running) return;
      if (this.#stopWatch === null) this.#startWatch();
      this.#tell('rescan');
      this.#scheduleRescan();
    }, this.#rescanMs);
  }
}
