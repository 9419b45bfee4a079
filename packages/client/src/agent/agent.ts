// The agent loop: run a pass; when idle wait for a trigger; when paused back off, but retry at once on a trigger.
import type { SyncFailure } from '@nimbus/protocol';
import { Backoff } from './backoff.js';
import type { CancelTimer, Timers } from './timers.js';

/** What woke the agent. */
export type TriggerReason =
  | 'start'
  /** A file changed in the library (the watcher, or its periodic rescan). */
  | 'library'
  /** The server's feed moved (another device wrote), heard on the long-poll. */
  | 'server'
  /** The long-poll reached the server again after failing: the network (or the server) is back. */
  | 'reconnect'
  /** Settings or the session changed (services switched, `nimbus login` after a sign-out). */
  | 'config'
  /** The backoff or the idle safety-net timer ran out. */
  | 'timer'
  /** `nimbus sync` asked the running agent for a pass (and waits for its outcome). */
  | 'request';

/** What one pass ended as (the engine's PassOutcome, as the agent needs it). */
export interface AgentPassOutcome {
  /** `syncing`: work is left with no cause worth a pause (a bug, too many rounds): retried soon. */
  readonly state: 'idle' | 'syncing' | 'paused' | 'signed_out';
  readonly failure: SyncFailure | null;
  readonly pushed?: number;
  readonly pulled?: number;
}

export interface AgentEngine {
  runPass(signal?: AbortSignal): Promise<AgentPassOutcome>;
}

/** Starts one source of triggers; returns its stop function. */
export type TriggerSource = (trigger: (reason: TriggerReason) => void, agent: SyncAgent) => () => void;

export interface AgentOptions {
  readonly engine: AgentEngine;
  readonly timers: Timers;
  readonly sources?: readonly TriggerSource[];
  readonly backoff?: Backoff;
  /** While idle (or signed out), a pass runs anyway this often: the net under every trigger. */
  readonly idlePassMs?: number;
  /** After each pass (for the CLI's log line). */
  readonly onPass?: (outcome: AgentPassOutcome | null, reason: TriggerReason) => void;
  /** runPass threw: a bug or an unclassified failure. The agent backs off and tries again. */
  readonly onError?: (error: unknown) => void;
}

interface SettleWaiter {
  readonly target: number;
  readonly resolve: (outcome: AgentPassOutcome | null) => void;
}

export class SyncAgent {
  readonly #options: AgentOptions;
  readonly #backoff: Backoff;
  #pendingReason: TriggerReason | null = null;
  #wake: ((reason: TriggerReason) => void) | null = null;
  #started = 0;
  #finished = 0;
  #settleWaiters: SettleWaiter[] = [];
  /** Triggers do not cut a wait short before this (the server said when: RATE_LIMITED). */
  #notBefore = 0;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new Backoff();
  }

  /** Asks for a pass as soon as possible (coalesced: many triggers during a pass make one more pass). */
  trigger(reason: TriggerReason): void {
    if (this.#wake && this.#options.timers.now() >= this.#notBefore) {
      const wake = this.#wake;
      this.#wake = null;
      wake(reason);
    } else {
      this.#pendingReason ??= reason;
    }
  }

  /** Resolves with its outcome when a pass that starts after this call has finished (null: it threw, or the agent stopped). */
  settled(): Promise<AgentPassOutcome | null> {
    return new Promise((resolve) => this.#settleWaiters.push({ target: this.#started + 1, resolve }));
  }

  /** Runs until `signal` aborts. Never throws for a failed pass. */
  async run(signal: AbortSignal): Promise<void> {
    const stops = (this.#options.sources ?? []).map((source) => source((reason) => this.trigger(reason), this));
    let reason: TriggerReason = 'start';
    try {
      while (!signal.aborted) {
        this.#pendingReason = null;
        this.#started++;
        let outcome: AgentPassOutcome | null = null;
        try {
          outcome = await this.#options.engine.runPass(signal);
        } catch (error) {
          if (signal.aborted) break;
          this.#options.onError?.(error);
        }
        this.#finished = this.#started;
        this.#settle(outcome);
        if (signal.aborted) break;
        this.#options.onPass?.(outcome, reason);
        reason = await this.#waitForTrigger(this.#delayAfter(outcome), signal);
      }
    } finally {
      for (const stop of stops) stop();
      this.#finished = Number.MAX_SAFE_INTEGER;
      this.#settle(null);
    }
  }

  #delayAfter(outcome: AgentPassOutcome | null): number {
    const now = this.#options.timers.now();
    const idle = this.#options.idlePassMs ?? 5 * 60_000;
    this.#notBefore = 0;
    if (outcome?.state === 'idle') {
      this.#backoff.reset();
      return idle;
    }
    // Signed out: nothing to retry until a sign-in (a config trigger); the idle timer is the net.
    if (outcome?.state === 'signed_out') return idle;
    // Work left but things moved (a pass stops after its rounds): go on at once.
    if (outcome?.state === 'syncing' && (outcome.pushed ?? 0) + (outcome.pulled ?? 0) > 0) return 0;
    const delay = this.#backoff.next(now, outcome?.failure);
    const retryAt = outcome?.failure?.retryAt;
    if (retryAt !== undefined && retryAt > now) this.#notBefore = retryAt;
    return delay;
  }

  #waitForTrigger(delayMs: number, signal: AbortSignal): Promise<TriggerReason> {
    const pending = this.#pendingReason;
    if (pending !== null && this.#options.timers.now() >= this.#notBefore) return Promise.resolve(pending);
    return new Promise((resolve) => {
      let cancel: CancelTimer = () => undefined;
      const done = (reason: TriggerReason): void => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        this.#wake = null;
        resolve(reason);
      };
      const onAbort = (): void => done('timer');
      cancel = this.#options.timers.setTimeout(() => done(this.#pendingReason ?? 'timer'), delayMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#wake = done;
    });
  }

  #settle(outcome: AgentPassOutcome | null): void {
    const still: SettleWaiter[] = [];
    for (const waiter of this.#settleWaiters) {
      if (this.#finished >= waiter.target) waiter.resolve(outcome);
      else still.push(waiter);
    }
    this.#settleWaiters = still;
  }
}
