// Tells the server how this device's sync is doing (PUT /v1/devices/current/status), so the account's other
// devices and the dashboard can show it: coalesced, never in the way of sync, failures ignored.
import { SERVICES, type DeviceStatusReport, type Family, type SyncStatusJson } from '@nimbus/protocol';
import { formatBanner } from '../engine/remedies.js';
import type { LocalStore } from '../store/local-store.js';

/** Where reports go: the signed-in session. */
export interface StatusSink {
  /** The session a report would be filed under (null: signed out); a new sign-in is a new device on the server. */
  target(): Promise<string | null>;
  /** Sends one report; rejects when it could not (the reporter ignores that: the server then shows "last seen"). */
  send(report: DeviceStatusReport, signal: AbortSignal): Promise<void>;
}

export interface StatusReporterOptions {
  readonly sink: StatusSink;
  /** The status to report, read when a report goes (so a burst of changes sends only the last). */
  readonly status: () => SyncStatusJson;
  /** Remembers what was last sent across processes (a `nimbus sync` that changes nothing sends nothing). */
  readonly store: LocalStore;
  readonly now: () => number;
  /** At most one report per this interval; changes in between are coalesced into the next one. */
  readonly minIntervalMs?: number;
  /** With nothing else changed, "last synced" alone is re-reported this often. */
  readonly refreshMs?: number;
  /** One report gives up after this long. */
  readonly timeoutMs?: number;
}

/** Meta key: the fingerprint and time of the last report the server took. */
export const STATUS_REPORTED_META_KEY = 'status-reported';

/** Pauses whose device can still talk to the server: storage full there, or a full disk here. */
const REPORTABLE_PAUSES: ReadonlySet<Family> = new Set<Family>(['storage', 'device']);

/** Set-aside items and reasons are cut so a report stays far below the server's 64 KiB body limit. */
const MAX_SET_ASIDE_SHOWN = 20;
const MAX_REASON_CHARS = 300;

export class StatusReporter {
  readonly #options: StatusReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #lastSentAt = 0;
  #closed = false;
  /** A change came while a report was on its way: another one follows it. */
  #again = false;

  constructor(options: StatusReporterOptions) {
    this.#options = options;
  }

  /** The status changed: a report goes within the minimum interval, unless it says what the server already has. */
  changed(): void {
    if (this.#closed || this.#timer) return;
    const wait = Math.max(0, this.#lastSentAt + (this.#options.minIntervalMs ?? 2_000) - this.#options.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, wait);
    // A report never keeps a finished `nimbus sync` alive; flush() is how it waits for one.
    this.#timer.unref();
  }

  /** Sends the current status now if the server does not have it yet (the end of `nimbus sync`), then resolves. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    await this.#send();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#inFlight) {
      // The report on its way may carry an older status (a slow server): one more goes after it.
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = this.#sendNow().finally(() => {
      this.#inFlight = undefined;
      if (this.#again) {
        this.#again = false;
        this.changed();
      }
    });
    return this.#inFlight;
  }

  async #sendNow(): Promise<void> {
    const { store, now } = this.#options;
    let status: SyncStatusJson;
    try {
      status = this.#options.status();
    } catch {
      return; // the engine is closing
    }
    // Signed out: there is no session to report with. Paused because the server cannot be reached or will not take this
    // session (network, server, sign-in, clock): a report would only wait on the same wall (and hold up `nimbus sync`).
    if (status.state === 'signed_out') return;
    if (status.state === 'paused' && status.failure && !REPORTABLE_PAUSES.has(status.failure.family)) return;
    const target = await this.#options.sink.target().catch(() => null);
    if (target === null) return;
    const fingerprint = `${target} ${fingerprintOf(status)}`;
    const last = readLast(store);
    const due = status.lastSyncedAt !== null && status.lastSyncedAt > last.at + (this.#options.refreshMs ?? 5 * 60_000);
    if (last.fingerprint === fingerprint && !due) return;
    this.#lastSentAt = now();
    try {
      await this.#options.sink.send(toReport(status, now()), AbortSignal.timeout(this.#options.timeoutMs ?? 5_000));
      if (store.db.open) store.setMeta(STATUS_REPORTED_META_KEY, JSON.stringify({ fingerprint, at: now() }));
    } catch {
      // Offline, signed out meanwhile, an older server: the server keeps the last report and shows when it saw us.
    }
  }
}

/** The report: the status as `nimbus status --json` has it, cut to size, with the one-glance banner. */
export function toReport(status: SyncStatusJson, now: number): DeviceStatusReport {
  const services = { ...status.services };
  for (const s of SERVICES) {
    const one = services[s];
    if (one.setAside.length > 0) {
      services[s] = { ...one, setAside: one.setAside.slice(0, MAX_SET_ASIDE_SHOWN).map((i) => ({ id: i.id.slice(0, MAX_REASON_CHARS), reason: i.reason.slice(0, MAX_REASON_CHARS) })) };
    }
  }
  const { progress: _progress, ...rest } = status;
  return { ...rest, services, banner: formatBanner(status, now).slice(0, 2000) };
}

/** What a watcher sees change: not progress, timers or "last synced" (those are re-sent only now and then). */
function fingerprintOf(status: SyncStatusJson): string {
  const services = SERVICES.map((s) => {
    const one = status.services[s];
    return [one.enabled, one.cellular, one.pending, one.waiting ?? null, one.offForAccount ?? false, one.setAside.length];
  });
  const failure = status.failure ? [status.failure.cause, status.failure.message, status.failure.affects, status.failure.remedies.map((r) => r.id)] : null;
  return JSON.stringify([status.state, failure, status.stalled, services]);
}

function readLast(store: LocalStore): { fingerprint: string | null; at: number } {
  try {
    const parsed = JSON.parse(store.getMeta(STATUS_REPORTED_META_KEY) ?? 'null') as { fingerprint?: unknown; at?: unknown } | null;
    return { fingerprint: typeof parsed?.fingerprint === 'string' ? parsed.fingerprint : null, at: typeof parsed?.at === 'number' ? parsed.at : 0 };
  } catch {
    return { fingerprint: null, at: 0 };
  }
}
