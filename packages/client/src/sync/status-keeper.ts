// Feeds the status machine from the outbox (pending, set aside) and keeps its view in the state database.
import { SERVICES, syncStatusJsonSchema, type Service, type SyncStatusJson } from '@nimbus/protocol';
import type { SyncStatusMachine } from '../engine/status-machine.js';
import { boundAccount, loginCommand } from '../session-file.js';
import { LocalStore, stateFilePath } from '../store/local-store.js';
import type { Outbox } from '../store/outbox.js';

/** Meta key of the last status JSON: `nimbus status` in another process reads it. */
export const STATUS_META_KEY = 'status';
const HISTORY_KEY = 'last-synced';
const SIGN_IN_REMEDY = 'sign-in';

interface History {
  all: number | null;
  services: Partial<Record<Service, number>>;
}

export class StatusKeeper {
  #told = new Map<Service, Map<string, string>>();
  #itemErrors = new Map<Service, Map<string, string>>();
  #passErrors: Map<Service, Map<string, string>> | null = null;
  #history: History;

  constructor(
    private readonly store: LocalStore,
    private readonly machine: SyncStatusMachine,
    private readonly outbox: Outbox,
  ) {
    this.#history = readHistory(store);
    machine.subscribe((status) => this.#persist(status));
  }

  /** The status stored by the last engine of this home (any process), if any. */
  static load(store: LocalStore): SyncStatusJson | undefined {
    const text = store.getMeta(STATUS_META_KEY);
    if (text === undefined) return undefined;
    try {
      const parsed = syncStatusJsonSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  view(): SyncStatusJson {
    return this.withHistory(this.machine.toJson());
  }

  /** Last good sync times survive restarts: a new process's machine starts without them. */
  withHistory(status: SyncStatusJson): SyncStatusJson {
    const out: SyncStatusJson = { ...status, services: { ...status.services }, failure: this.#withLogin(status.failure), ...withNetwork(this.store) };
    out.lastSyncedAt ??= this.#history.all;
    for (const s of SERVICES) {
      const svc = out.services[s];
      if (svc && svc.lastSyncedAt === null && this.#history.services[s] !== undefined) out.services[s] = { ...svc, lastSyncedAt: this.#history.services[s] };
    }
    return out;
  }

  /** "Sign in again" names the exact command: this state's server and email (`nimbus login` alone is a usage error). */
  #withLogin(failure: SyncStatusJson['failure']): SyncStatusJson['failure'] {
    if (!failure || !failure.remedies.some((r) => r.id === SIGN_IN_REMEDY)) return failure;
    const account = this.store.db.open ? boundAccount(this.store) : undefined;
    if (!account) return failure;
    const command = loginCommand(account);
    const remedies = failure.remedies.map((r) =>
      r.id === SIGN_IN_REMEDY ? { ...r, command, text: `Sign in again: ${command} — nothing pending is lost.` } : r,
    );
    return { ...failure, remedies };
  }

  beginPass(): void {
    this.#passErrors = new Map();
  }

  /** Item errors of scans and pulls are re-found every pass: the last pass's list replaces the one before. */
  endPass(): void {
    if (this.#passErrors) this.#itemErrors = this.#passErrors;
    this.#passErrors = null;
    this.refresh();
  }

  itemError(service: Service, id: string, reason: string): void {
    for (const map of [this.#itemErrors, this.#passErrors]) {
      if (!map) continue;
      const m = map.get(service) ?? new Map<string, string>();
      m.set(id, reason);
      map.set(service, m);
    }
    this.refresh();
  }

  /** Pushes the outbox's counts and set-aside items into the machine (it emits only on change). */
  refresh(): void {
    const pending = this.outbox.pendingByService();
    for (const s of SERVICES) this.machine.setPending(s, pending.get(s) ?? 0);
    const want = new Map<Service, Map<string, string>>();
    for (const item of this.outbox.setAsideItems()) {
      const m = want.get(item.service) ?? new Map<string, string>();
      m.set(item.path ?? item.id, item.reason);
      want.set(item.service, m);
    }
    for (const [s, m] of this.#itemErrors) for (const [id, reason] of m) want.set(s, (want.get(s) ?? new Map<string, string>()).set(id, reason));
    for (const s of SERVICES) {
      const told = this.#told.get(s) ?? new Map<string, string>();
      const next = want.get(s) ?? new Map<string, string>();
      for (const id of told.keys()) if (!next.has(id)) this.machine.clearSetAside(s, id);
      for (const [id, reason] of next) if (told.get(id) !== reason) this.machine.setAside(s, id, reason);
      this.#told.set(s, next);
    }
  }

  pendingOf(service: Service): number {
    return this.machine.toJson().pending[service] ?? 0;
  }

  /** Pending items the machine would call runnable (enabled, not waiting for Wi-Fi). */
  runnablePending(): number {
    const json = this.machine.toJson();
    return SERVICES.reduce((n, s) => {
      const svc = json.services[s];
      return svc && svc.enabled && !svc.waiting ? n + svc.pending : n;
    }, 0);
  }

  #persist(status: SyncStatusJson): void {
    if (!this.store.db.open) return;
    let changed = false;
    if (status.lastSyncedAt !== null && status.lastSyncedAt !== this.#history.all) {
      this.#history.all = status.lastSyncedAt;
      changed = true;
    }
    for (const s of SERVICES) {
      const at = status.services[s]?.lastSyncedAt ?? null;
      if (at !== null && at !== this.#history.services[s]) {
        this.#history.services[s] = at;
        changed = true;
      }
    }
    // Shown status, not state: a power cut may lose the last one, but an fsync per percent of a big transfer
    // blocked the upload it reports on (WAL: the next durable commit carries these writes to disk too).
    this.store.relaxedTx(() => {
      if (changed) this.store.setMeta(HISTORY_KEY, JSON.stringify(this.#history));
      this.store.setMeta(STATUS_META_KEY, JSON.stringify(this.withHistory(status)));
    });
  }
}

function readHistory(store: LocalStore): History {
  try {
    const parsed = JSON.parse(store.getMeta(HISTORY_KEY) ?? 'null') as History | null;
    if (parsed && typeof parsed === 'object') return { all: parsed.all ?? null, services: parsed.services ?? {} };
  } catch {
    // a damaged history only loses the "last synced" times
  }
  return { all: null, services: {} };
}

/** The status last stored under `home` (for `nimbus status` while another process syncs); undefined if none yet. */
export function readStoredStatus(home: string): SyncStatusJson | undefined {
  let store: LocalStore;
  try {
    store = new LocalStore(stateFilePath(home), { readonly: true });
  } catch {
    return undefined;
  }
  try {
    const status = StatusKeeper.load(store);
    // Metered or not as the store says now: `nimbus network metered` may have changed it since the status was stored.
    return status && { ...status, ...withNetwork(store) };
  } finally {
    store.close();
  }
}

/** The status's `network` part (metered, and who said so), from a store that is open. */
function withNetwork(store: LocalStore): Pick<SyncStatusJson, 'network'> {
  return store.db.open ? { network: store.networkStatus() } : {};
}
