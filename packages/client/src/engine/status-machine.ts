// The sync status machine: a tagged union of states, transitions that refuse illegal moves, listeners, a stall watchdog.
import { SERVICES, type AuthReason, type Service, type SetAsideItem, type SyncFailure, type SyncStatusJson } from '@nimbus/protocol';

/** The engine's state, with what each state carries. */
export type EngineState =
  /** Up to date: nothing pending that is allowed to run. */
  | { readonly kind: 'idle' }
  /** Work is moving; `progress` counts items done out of items seen since the run began. */
  | { readonly kind: 'syncing'; readonly progress: { readonly done: number; readonly total: number } }
  /** A failure stops some lanes. `nextAttemptAt` null: waiting for a trigger (sign-in, network change). */
  | { readonly kind: 'paused'; readonly failure: SyncFailure; readonly since: number; readonly nextAttemptAt: number | null }
  /** No session on this device. */
  | { readonly kind: 'signed_out'; readonly reason?: AuthReason };

/** A transition that makes no sense from the current state: a bug in the caller. */
export class IllegalTransitionError extends Error {
  constructor(transition: string, from: EngineState['kind']) {
    super(`cannot ${transition} while ${from}`);
    this.name = 'IllegalTransitionError';
  }
}

export type StatusListener = (status: SyncStatusJson) => void;

export interface StatusMachineOptions {
  /** The clock: injected, so tests drive time. */
  readonly now: () => number;
  /** No progress for this long while work is pending marks the status stalled. */
  readonly stallAfterMs: number;
  /** Start signed in (idle) or signed out. */
  readonly signedIn: boolean;
}

interface ServiceCounters {
  enabled: boolean;
  cellular: boolean;
  pending: number;
  lastSyncedAt: number | null;
  setAside: Map<string, string>;
  waiting: 'wifi' | null;
  /** The account (not this device) switched it off, or off cellular. */
  offForAccount: boolean;
}

export class SyncStatusMachine {
  #state: EngineState;
  readonly #services = new Map<Service, ServiceCounters>();
  readonly #listeners = new Set<StatusListener>();
  readonly #now: () => number;
  readonly #stallAfterMs: number;
  #lastProgressAt: number;
  #stalled = false;
  #lastSyncedAt: number | null = null;

  constructor(options: StatusMachineOptions) {
    this.#now = options.now;
    this.#stallAfterMs = options.stallAfterMs;
    this.#lastProgressAt = options.now();
    this.#state = options.signedIn ? { kind: 'idle' } : { kind: 'signed_out' };
    for (const s of SERVICES) {
      this.#services.set(s, { enabled: true, cellular: true, pending: 0, lastSyncedAt: null, setAside: new Map(), waiting: null, offForAccount: false });
    }
  }

  get state(): EngineState {
    return this.#state;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A pass begins: idle or paused (its cause cleared) → syncing. */
  start(): void {
    const { kind } = this.#state;
    if (kind === 'signed_out') throw new IllegalTransitionError('start syncing', kind);
    if (kind !== 'syncing') this.#enterSyncing();
    this.#emit();
  }

  /** A pass ended with nothing runnable left: syncing → idle. Refused while work is pending. */
  finish(): void {
    const { kind } = this.#state;
    if (kind !== 'syncing') throw new IllegalTransitionError('finish', kind);
    if (this.#runnablePending() > 0) throw new IllegalTransitionError(`finish with ${this.#runnablePending()} items pending`, kind);
    const now = this.#now();
    this.#state = { kind: 'idle' };
    this.#lastSyncedAt = now;
    for (const counters of this.#services.values()) if (counters.enabled && counters.waiting === null) counters.lastSyncedAt = now;
    this.#stalled = false;
    this.#emit();
  }

  /** A failure stops some lanes. Pausing again keeps `since` when the cause is the same. */
  pause(failure: SyncFailure, nextAttemptAt: number | null = null): void {
    const state = this.#state;
    if (state.kind === 'signed_out') throw new IllegalTransitionError('pause', state.kind);
    const since = state.kind === 'paused' && state.failure.cause === failure.cause ? state.since : this.#now();
    this.#state = { kind: 'paused', failure, since, nextAttemptAt };
    this.#emit();
  }

  /** The scheduler set (or cleared) the next attempt of a paused engine. */
  scheduleRetry(at: number | null): void {
    const state = this.#state;
    if (state.kind !== 'paused') throw new IllegalTransitionError('schedule a retry', state.kind);
    this.#state = { ...state, nextAttemptAt: at };
    this.#emit();
  }

  /** The cause cleared: paused → syncing (the pass that follows decides when it is idle). */
  resume(): void {
    const { kind } = this.#state;
    if (kind !== 'paused') throw new IllegalTransitionError('resume', kind);
    this.#enterSyncing();
    this.#emit();
  }

  /** Signed out (by the user, or the session ended): pending work is kept, not counted as failure. */
  signOut(reason?: AuthReason): void {
    this.#state = reason === undefined ? { kind: 'signed_out' } : { kind: 'signed_out', reason };
    this.#stalled = false;
    this.#emit();
  }

  /** Signed in: signed_out or paused by an auth failure → syncing if work is pending, else idle. */
  signIn(): void {
    const state = this.#state;
    const authPause = state.kind === 'paused' && state.failure.family === 'auth';
    if (state.kind !== 'signed_out' && !authPause) throw new IllegalTransitionError('sign in', state.kind);
    if (this.#runnablePending() > 0) this.#enterSyncing();
    else this.#state = { kind: 'idle' };
    this.#emit();
  }

  /** The outbox/feed count for a service. A drop is progress; new work while idle starts syncing. */
  setPending(service: Service, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`pending must be a whole number ≥ 0, got ${count}`);
    const counters = this.#counters(service);
    const before = counters.pending;
    if (before === count) return;
    const wasRunnable = this.#runnablePending();
    counters.pending = count;
    if (this.#state.kind === 'syncing') {
      const { done, total } = this.#state.progress;
      this.#state = {
        kind: 'syncing',
        progress: count < before ? { done: done + before - count, total } : { done, total: total + count - before },
      };
    }
    if (count < before || wasRunnable === 0) this.#progressed();
    this.#keepIdleHonest();
    this.#emit();
  }

  /**
   * Transfer bytes of this run: `total` more expected, `done` more moved. Shown as progress.bytesDone/bytesTotal;
   * listeners hear of it at most once per percent (a status write per chunk would cost more than the chunk).
   */
  noteBytes(done: number, total: number): void {
    const before = this.#bytes;
    const next = { done: before.done + done, total: before.total + total };
    this.#bytes = next;
    const wasStalled = this.#stalled;
    if (done > 0) this.#progressed();
    if (this.#state.kind !== 'syncing' || next.total === 0) {
      if (wasStalled && done > 0) this.#emit();
      return;
    }
    const pct = Math.floor((next.done * 100) / next.total);
    if (pct !== this.#bytesPct || (wasStalled && done > 0)) {
      this.#bytesPct = pct;
      this.#emit();
    }
  }

  #bytes = { done: 0, total: 0 };
  #bytesPct = -1;

  /** Bytes moved in a long transfer: progress for the watchdog without a change in counts. */
  noteProgress(): void {
    const wasStalled = this.#stalled;
    this.#progressed();
    if (wasStalled) this.#emit();
  }

  /** One service's sync finished a pass cleanly (its lanes ran while others may be paused). */
  serviceSynced(service: Service): void {
    this.#counters(service).lastSyncedAt = this.#now();
    this.#emit();
  }

  /** Switch a service on/off, or allow/deny it on metered networks. */
  configureService(service: Service, settings: { readonly enabled?: boolean; readonly cellular?: boolean; readonly offForAccount?: boolean }): void {
    const counters = this.#counters(service);
    if (settings.enabled !== undefined) counters.enabled = settings.enabled;
    if (settings.cellular !== undefined) counters.cellular = settings.cellular;
    if (settings.offForAccount !== undefined) counters.offForAccount = settings.offForAccount;
    this.#keepIdleHonest();
    this.#emit();
  }

  /** A service is held back, not failing (metered network): `null` lets it run again. */
  setWaiting(service: Service, waiting: 'wifi' | null): void {
    this.#counters(service).waiting = waiting;
    this.#keepIdleHonest();
    this.#emit();
  }

  /** An item kept failing: set aside with its reason, shown, never dropped. */
  setAside(service: Service, id: string, reason: string): void {
    this.#counters(service).setAside.set(id, reason);
    this.#emit();
  }

  /** A set-aside item went through (or was resolved). */
  clearSetAside(service: Service, id: string): void {
    if (this.#counters(service).setAside.delete(id)) this.#emit();
  }

  /** The watchdog: call on a timer. Marks stalled when runnable work has not moved for `stallAfterMs`. */
  tick(now: number): void {
    const stalled = this.#expectedToMove() > 0 && now - this.#lastProgressAt >= this.#stallAfterMs;
    if (stalled !== this.#stalled) {
      this.#stalled = stalled;
      this.#emit();
    }
  }

  /** The flat read-only view (`nimbus status --json`). */
  toJson(): SyncStatusJson {
    const state = this.#state;
    const pending = {} as Record<Service, number>;
    const services = {} as SyncStatusJson['services'];
    for (const s of SERVICES) {
      const c = this.#counters(s);
      pending[s] = c.pending;
      const setAside: SetAsideItem[] = [...c.setAside].map(([id, reason]) => ({ id, reason }));
      services[s] = { enabled: c.enabled, cellular: c.cellular, pending: c.pending, lastSyncedAt: c.lastSyncedAt, setAside, waiting: c.waiting };
      if (c.offForAccount) services[s].offForAccount = true;
    }
    const json: SyncStatusJson = {
      state: state.kind,
      failure: state.kind === 'paused' ? state.failure : null,
      pending,
      services,
      lastSyncedAt: this.#lastSyncedAt,
      stalled: this.#stalled,
    };
    if (state.kind === 'syncing') {
      json.progress = { ...state.progress };
      if (this.#bytes.total > 0) Object.assign(json.progress, { bytesDone: Math.min(this.#bytes.done, this.#bytes.total), bytesTotal: this.#bytes.total });
    }
    if (state.kind === 'paused') Object.assign(json, { pausedSince: state.since, nextAttemptAt: state.nextAttemptAt });
    if (state.kind === 'signed_out' && state.reason !== undefined) json.signedOutReason = state.reason;
    return json;
  }

  #counters(service: Service): ServiceCounters {
    const counters = this.#services.get(service);
    if (!counters) throw new RangeError(`unknown service ${String(service)}`);
    return counters;
  }

  /** Pending items that are allowed to run now: enabled services not waiting for Wi-Fi. */
  #runnablePending(): number {
    let n = 0;
    for (const c of this.#services.values()) if (c.enabled && c.waiting === null) n += c.pending;
    return n;
  }

  /** Pending work that should be moving: runnable, and not in a service the current pause stops. */
  #expectedToMove(): number {
    const state = this.#state;
    if (state.kind === 'signed_out') return 0;
    let n = 0;
    for (const [s, c] of this.#services) {
      if (c.enabled && c.waiting === null && !(state.kind === 'paused' && state.failure.affects.includes(s))) n += c.pending;
    }
    return n;
  }

  #enterSyncing(): void {
    const total = this.#runnablePending();
    this.#state = { kind: 'syncing', progress: { done: 0, total } };
    this.#bytes = { done: 0, total: 0 };
    this.#bytesPct = -1;
    this.#progressed();
  }

  #progressed(): void {
    this.#lastProgressAt = this.#now();
    this.#stalled = false;
  }

  /** The invariant: idle never holds runnable pending work. New work moves idle → syncing. */
  #keepIdleHonest(): void {
    if (this.#state.kind === 'idle' && this.#runnablePending() > 0) this.#enterSyncing();
    if (this.#runnablePending() === 0) this.#stalled = false;
  }

  #emit(): void {
    const snapshot = this.toJson();
    const errors: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(snapshot);
      } catch (error) {
        errors.push(error);
      }
    }
    // One bad listener never starves the others; the first error still surfaces.
    if (errors.length > 0) throw errors[0];
  }
}
