// Retry delays: exponential with full jitter, capped, reset on success; a server's retryAt is honoured.
import type { SyncFailure } from '@nimbus/protocol';

export interface BackoffOptions {
  /** The first retry waits up to this long. */
  readonly baseMs?: number;
  /** No retry waits longer than this (unless the server asked for later with retryAt). */
  readonly capMs?: number;
  /** [0, 1): injected so tests are deterministic. */
  readonly random?: () => number;
}

/**
 * "Full jitter" (AWS architecture blog): delay = random × min(cap, base × 2^attempt). Devices that
 * failed together (a server restart) spread their retries instead of all coming back at once.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 1_000;
    this.#capMs = options.capMs ?? 5 * 60_000;
    this.#random = options.random ?? Math.random;
  }

  /** Failures in a row so far. */
  get attempts(): number {
    return this.#attempt;
  }

  /**
   * The delay before the next attempt, counting this failure. A failure with `retryAt` (RATE_LIMITED,
   * SERVER_UNAVAILABLE with Retry-After) waits at least until then, even past the cap.
   */
  next(now: number, failure?: Pick<SyncFailure, 'retryAt'> | null): number {
    const ceiling = Math.min(this.#capMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const jittered = Math.floor(this.#random() * ceiling);
    const retryAt = failure?.retryAt;
    return retryAt !== undefined && retryAt > now ? Math.max(jittered, retryAt - now) : jittered;
  }

  /** A success: the next failure starts again from the base. */
  reset(): void {
    this.#attempt = 0;
  }
}
