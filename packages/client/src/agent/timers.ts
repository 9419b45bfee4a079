// The agent's clock and timers, a port so tests drive time by hand.

/** Cancels a scheduled callback; calling it after it ran (or twice) is harmless. */
export type CancelTimer = () => void;

export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`. Real timers keep the process alive: an agent waiting for its next attempt is running. */
  setTimeout(fn: () => void, ms: number): CancelTimer;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/** Runs `fn` every `ms` (the first time after `ms`) until the returned function is called. */
export function every(timers: Timers, ms: number, fn: () => void): CancelTimer {
  let cancel: CancelTimer = () => undefined;
  let stopped = false;
  const tick = (): void => {
    fn();
    if (!stopped) cancel = timers.setTimeout(tick, ms);
  };
  cancel = timers.setTimeout(tick, ms);
  return () => {
    stopped = true;
    cancel();
  };
}

/** Timers that move only when a test calls `advance`. */
export class ManualTimers implements Timers {
  #now: number;
  #seq = 0;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): CancelTimer {
    const id = ++this.#seq;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), fn });
    return () => void this.#due.delete(id);
  }

  /** Timers still scheduled. */
  get pending(): number {
    return this.#due.size;
  }

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#due.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = target;
  }
}
