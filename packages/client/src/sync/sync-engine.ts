// The sync engine: runs passes over its ports, keeps the status machine honest and stores its view for other processes.
import { SERVICE_ZONE, SERVICES, isNimbusError, type Service, type SyncFailure, type SyncStatusJson, type Zone } from '@nimbus/protocol';
import type { ServiceAdapter } from '../adapters/adapter.js';
import { classify, RETRY_QUIETLY } from '../engine/classify.js';
import type { Lane } from '../engine/lanes.js';
import { SyncStatusMachine, type StatusListener } from '../engine/status-machine.js';
import type { SystemMeteredHint } from '../store/local-store.js';
import { Outbox } from '../store/outbox.js';
import { PassStopped, guard, judgeWith, type PassContext } from './pass-context.js';
import { DEFAULT_TUNING, type EngineDeps, type EngineTuning } from './ports.js';
import { WATCH_TOKEN_KEY } from './pull.js';
import { runSteps } from './sync-pass.js';
import { unansweredWatch } from './unanswered-watch.js';
import { STATUS_META_KEY, StatusKeeper } from './status-keeper.js';
import { StatusReporter } from './status-report.js';

/** How one pass ended. `syncing`: work is left that the next pass retries, with no cause worth a pause. */
export interface PassOutcome {
  state: 'idle' | 'syncing' | 'paused' | 'signed_out';
  failure: SyncFailure | null;
  /** Items sent (outbox items that landed) and received (records applied) in this pass. */
  pushed: number;
  pulled: number;
  /** An error no cause explains (a bug, an unexpected local error): the pass stopped early; retry later. */
  error?: unknown;
}

export class SyncEngine {
  readonly outbox: Outbox;
  readonly #deps: EngineDeps;
  readonly #tuning: EngineTuning;
  readonly #adapters: Map<Zone, ServiceAdapter>;
  readonly #machine: SyncStatusMachine;
  readonly #keeper: StatusKeeper;
  readonly #reporter: StatusReporter | undefined;
  #running: Promise<PassOutcome> | undefined;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.outbox = new Outbox(deps.store);
    this.#adapters = new Map(deps.adapters.map((a) => [a.zone, a]));
    const stored = StatusKeeper.load(deps.store);
    this.#machine = new SyncStatusMachine({ now: deps.now, stallAfterMs: this.#tuning.stallAfterMs, signedIn: stored?.state !== 'signed_out' });
    this.#keeper = new StatusKeeper(deps.store, this.#machine, this.outbox);
    if (stored?.state === 'paused' && stored.failure) this.#machine.pause(stored.failure, stored.nextAttemptAt ?? null);
    this.#applySettings();
    this.#keeper.refresh();
    const sink = deps.statusSink;
    if (sink) {
      const reporter = new StatusReporter({ sink, status: () => this.status(), store: deps.store, now: deps.now });
      this.#machine.subscribe(() => reporter.changed());
      this.#reporter = reporter;
    }
  }

  /** Sends the status to the server now if it has not got it yet (the end of `nimbus sync`); failures are ignored. */
  async reportStatus(): Promise<void> {
    await this.#reporter?.flush();
  }

  /** The flat status view (`nimbus status --json`), also kept in the state database after every change. */
  status(): SyncStatusJson {
    return this.#keeper.view();
  }

  /** Calls `listener` with the status after every change; returns the unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    return this.#machine.subscribe((status) => listener(this.#keeper.withHistory(status)));
  }

  /** The stall watchdog: call on a timer (the agent does). */
  tick(): void {
    this.#machine.tick(this.#deps.now());
  }

  /** Settings changed in the store (services, metered network): the status follows at once. */
  reloadSettings(): void {
    this.#applySettings();
    this.#keeper.refresh();
  }

  /**
   * The operating system's metered hint (read by the agent's poll, or by `nimbus sync` before its pass): stored, and
   * the status follows at once. True when what the device considers metered changed.
   */
  noteSystemMetered(hint: SystemMeteredHint | undefined): boolean {
    const before = this.#deps.store.isMetered();
    if (!this.#deps.store.setSystemMeteredHint(hint)) return false;
    this.reloadSettings();
    return this.#deps.store.isMetered() !== before;
  }

  /** One pass. Calls made while a pass runs share it. Never throws for sync failures: they are the outcome. */
  runPass(signal?: AbortSignal): Promise<PassOutcome> {
    this.#running ??= this.#pass(signal).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * A long-poll of the feed from where the last pass left it (GET /v1/changes?wait=…&limit=1): true when
   * something changed on the server (run a pass), false when the wait ran out. Throws when unreachable.
   */
  async waitForRemoteChanges(seconds: number, signal?: AbortSignal): Promise<boolean> {
    const transport = await this.#deps.connect();
    const since = this.#deps.store.getMeta(WATCH_TOKEN_KEY);
    if (!transport || since === undefined) return true;
    const zones = [...this.#allowed()].map((s) => SERVICE_ZONE[s]);
    const answer = await transport.changes({ since, zones, limit: 1, wait: Math.max(1, Math.min(60, Math.round(seconds))) }, signal);
    return answer.changes.length > 0 || answer.servicesChanged === true;
  }

  close(): void {
    this.#reporter?.close();
    this.#deps.store.close();
  }

  async #pass(signal: AbortSignal | undefined): Promise<PassOutcome> {
    const machine = this.#machine;
    this.#applySettings();
    const transport = await this.#deps.connect();
    if (!transport) {
      if (machine.state.kind !== 'signed_out') machine.signOut();
      this.#keeper.refresh();
      return { state: 'signed_out', failure: null, pushed: 0, pulled: 0 };
    }
    if (machine.state.kind === 'signed_out') machine.signIn();
    // A retry while paused (an auth pause too: a session file is no proof the sign-in worked) stays paused until something moves or the pass ends well: the status keeps naming the
    // cause while it lasts (a black-holed network), instead of flickering to "syncing" on every attempt.
    if (machine.state.kind !== 'paused') machine.start();
    const resumed = (): void => {
      if (machine.state.kind === 'paused') machine.resume();
    };
    this.#keeper.beginPass();
    const allowed = this.#allowed();
    const scanned = this.#enabled();
    // A request left unanswered is probed while it waits: the cause shows in seconds, the request keeps its deadline.
    let passOpen = true;
    let bytesMovedAt = -Infinity;
    const probe = this.#deps.probe;
    const watch = probe
      ? unansweredWatch({
          probe,
          now: this.#deps.now,
          stillWaiting: (startedAt) => passOpen && bytesMovedAt < startedAt,
          onCause: (failure) => machine.pause(failure),
        })
      : undefined;
    const watched = watch ? watch.transport(transport) : transport;
    // The account's switches are the pass's first request: in a black hole, the one left waiting.
    const accountCheck = watch ? watch.call(() => this.#checkAccountServices(signal)) : this.#checkAccountServices(signal);
    const ctx: PassContext = {
      store: this.#deps.store,
      outbox: this.outbox,
      transport: watched,
      library: this.#deps.library,
      adapters: this.#adapters,
      downloadsDir: this.#deps.downloadsDir,
      tuning: this.#tuning,
      now: this.#deps.now,
      signal,
      laneStops: new Map(),
      allowed,
      scanned,
      accountChecked: async () => {
        const error = await accountCheck;
        // Unreachable, signed out…: named like any request's failure (the push would only meet it again, a timeout later).
        if (error !== undefined) await guard(ctx, undefined, () => Promise.reject(error));
        this.#applySettings();
        this.#keeper.refresh();
        const added = new Set([...this.#enabled()].filter((s) => !scanned.has(s)));
        replace(allowed, this.#allowed());
        replace(scanned, this.#enabled());
        return added;
      },
      downloadsStopped: null,
      pushed: 0,
      pulled: 0,
      setAside: (service, id, reason) => this.#keeper.itemError(service, id, reason),
      progress: () => {
        if (ctx.pushed + ctx.pulled > 0) resumed();
        this.#keeper.refresh();
      },
      bytes: (done, total) => {
        if (done > 0) {
          bytesMovedAt = this.#deps.now();
          resumed();
        }
        machine.noteBytes(done, total);
      },
      judge: judgeWith(this.#deps.probe, this.#deps.now),
    };
    let stopped: SyncFailure | null = null;
    let error: unknown;
    try {
      await runSteps(ctx, { settleMs: this.#tuning.settleMs });
    } catch (thrown) {
      if (thrown instanceof PassStopped) stopped = thrown.failure;
      else {
        const judged = classify(thrown, { now: this.#deps.now() });
        if (judged === RETRY_QUIETLY) error = thrown;
        else stopped = judged;
      }
    }
    passOpen = false;
    this.#keeper.endPass();
    const failure = stopped ?? pickLaneFailure(ctx.laneStops) ?? ctx.downloadsStopped;
    const counts = { pushed: ctx.pushed, pulled: ctx.pulled };
    if (failure) {
      machine.pause(failure, failure.retryAt ?? null);
      for (const service of SERVICES) {
        if (ctx.allowed.has(service) && !failure.affects.includes(service) && this.#keeper.pendingOf(service) === 0) machine.serviceSynced(service);
      }
      return { state: 'paused', failure, ...counts };
    }
    resumed(); // no cause stands any more
    if (error !== undefined || this.#keeper.runnablePending() > 0) return { state: 'syncing', failure: null, ...counts, ...(error === undefined ? {} : { error }) };
    machine.finish();
    return { state: 'idle', failure: null, ...counts };
  }

  /**
   * Asks for the account's service switches and keeps them (store.accountServices). Never rejects: answers the error
   * instead (the switches last heard stay); an older server without the route (NOT_FOUND) is no error.
   */
  async #checkAccountServices(signal: AbortSignal | undefined): Promise<Error | undefined> {
    const ask = this.#deps.accountServices;
    if (!ask) return undefined;
    try {
      this.#deps.store.setAccountServices(await ask(signal));
      return undefined;
    } catch (error) {
      if (isNimbusError(error) && error.kind === 'NOT_FOUND') return undefined;
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Services that run now: switched on (here and for the account), and allowed on this network. */
  #allowed(): Set<Service> {
    const settings = this.#deps.store.effectiveServiceSettings();
    const metered = this.#deps.store.isMetered();
    return new Set(SERVICES.filter((s) => settings[s].enabled && (!metered || settings[s].cellular)));
  }

  /** Services switched on (here and for the account), whatever the network. */
  #enabled(): Set<Service> {
    const settings = this.#deps.store.effectiveServiceSettings();
    return new Set(SERVICES.filter((s) => settings[s].enabled));
  }

  #applySettings(): void {
    const settings = this.#deps.store.effectiveServiceSettings();
    const metered = this.#deps.store.isMetered();
    for (const s of SERVICES) {
      this.#machine.configureService(s, settings[s]);
      this.#machine.setWaiting(s, settings[s].enabled && metered && !settings[s].cellular ? 'wifi' : null);
    }
  }
}

/** Makes `set` hold exactly `items` (the pass's sets are shared with its context). */
function replace<T>(set: Set<T>, items: Iterable<T>): void {
  set.clear();
  for (const item of items) set.add(item);
}

/** Of the lanes a quota stopped, the widest pause: the essential lane's (everything waits) over the heavy ones'. */
function pickLaneFailure(stops: ReadonlyMap<Lane, SyncFailure>): SyncFailure | null {
  return stops.get('essential') ?? stops.get('photo-metadata') ?? [...stops.values()][0] ?? null;
}

export { STATUS_META_KEY };
