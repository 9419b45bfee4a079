// Wires the real engine for a NIMBUS_HOME and a library folder: state database, session.json, ApiClient, adapters.
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ServiceAdapter } from '../adapters/adapter.js';
import { createAdapters } from '../adapters/index-of-adapters.js';
import { ApiClient } from '../api-client.js';
import { dnsRoute } from '../dns/dns-route.js';
import { DNS_SERVERS_META_KEY, readDnsServers, writeDnsServers } from '../dns/dns-servers.js';
import type { ProbeResult } from '../engine/classify.js';
import {
  ACCOUNT_META_KEY,
  boundAccount,
  identityOf,
  readSession,
  sameAccount,
  writeSession,
  type AccountIdentity,
  type StoredSession,
} from '../session-file.js';
import { LocalStore, stateFilePath, SYSTEM_METERED_META_KEY } from '../store/local-store.js';
import type { EngineTuning, SyncTransport } from './ports.js';
import { SyncEngine } from './sync-engine.js';

export interface OpenEngineOptions {
  /** NIMBUS_HOME: session.json, state.sqlite, downloads/. */
  home: string;
  /** NIMBUS_LIBRARY: the folder with Contacts/, Notes/, Photos/, Drive/ (must exist). */
  library: string;
  /** The clock; Date.now by default. */
  now?: () => number;
  /** The service adapters; by default Contacts, Notes, Photos and Drive labelled with the session's device name. */
  adapters?: readonly ServiceAdapter[];
  /** A fetch for the API calls (tests); node:http by default. */
  fetch?: typeof fetch | undefined;
  /** How long a request waits for its answer to start (NIMBUS_REQUEST_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  probe?: () => Promise<ProbeResult | undefined>;
  tuning?: Partial<EngineTuning>;
}

/**
 * The engine of this device. The session is read from session.json at the start of every pass, so a
 * `nimbus login` in another process is picked up by a running agent; refreshed tokens are written back.
 * Close it with `engine.close()` (closes the state database).
 */
export async function openEngine(options: OpenEngineOptions): Promise<SyncEngine> {
  const now = options.now ?? Date.now;
  const store = new LocalStore(stateFilePath(options.home));
  try {
    const session = await readSession(options.home).catch(() => undefined);
    const adapters = options.adapters ?? createAdapters(session?.deviceName ?? hostname(), { now });
    const connect = sessionConnector(options.home, now, { fetch: options.fetch, timeoutMs: options.timeoutMs }, store);
    return new SyncEngine({
      store,
      adapters,
      library: { root: options.library },
      downloadsDir: join(options.home, 'downloads'),
      now,
      connect,
      accountServices: async (signal) => {
        const client = await connect();
        if (!client) throw new Error('signed out');
        return client.accountServices(signal);
      },
      statusSink: {
        target: async () => (await readSession(options.home))?.tokens.sessionId ?? null,
        send: async (report, signal) => (await connect())?.reportStatus(report, signal),
      },
      ...(options.probe ? { probe: options.probe } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    });
  } catch (error) {
    store.close();
    throw error;
  }
}

/** How a connector's clients reach the server. */
export interface ConnectorHttp {
  /** A fetch for the API calls (tests); node:http by default. */
  readonly fetch?: typeof fetch | undefined;
  /** How long a request waits for its answer to start. */
  readonly timeoutMs?: number | undefined;
  /** The user's DNS servers, when no `store` gives them. */
  readonly dnsServers?: (() => readonly string[]) | undefined;
}

/**
 * connect() for the engine: one ApiClient while session.json holds the tokens it knows, a new one after a sign-in.
 * With `store`, the first connection binds the state to the session's account, and a session of another account
 * is refused (AccountMismatchError) rather than pushing this mirror's files into it.
 */
export function sessionConnector(home: string, now: () => number, http: ConnectorHttp = {}, store?: LocalStore): () => Promise<SyncTransport | null> {
  let cached: { client: ApiClient; session: StoredSession } | undefined;
  // The user's DNS servers, read on every request: `nimbus config set dns` reaches a running agent at once.
  const readServers = store ? () => readDnsServers(store) : http.dnsServers;
  const dns = readServers ? dnsRoute(readServers) : undefined;
  return async () => {
    const session = await readSession(home);
    if (!session) {
      cached = undefined;
      return null;
    }
    const same = cached && cached.session.server === session.server && cached.client.session?.refreshToken === session.tokens.refreshToken;
    if (same && cached) return cached.client;
    if (store) bindAccount(store, home, identityOf(session));
    const client = new ApiClient({
      server: session.server,
      session: session.tokens,
      now,
      timeoutMs: http.timeoutMs,
      lookup: dns?.lookup,
      fetch: http.fetch && dns ? dns.wrap(http.fetch) : http.fetch,
      onSession: async (tokens) => {
        // Keep what is on disk unless it changed under us (a new login wins over our refresh).
        const onDisk = await readSession(home).catch(() => undefined);
        if (onDisk && onDisk.tokens.refreshToken !== session.tokens.refreshToken && onDisk.tokens.refreshToken !== tokens.refreshToken) return;
        await writeSession(home, { ...session, tokens });
        session.tokens = tokens;
      },
    });
    cached = { client, session };
    return client;
  };
}

/** True when the state mirrors nothing and has nothing to send: another account may take it over. */
export function stateIsEmpty(store: LocalStore): boolean {
  const row = store.db.prepare('SELECT EXISTS (SELECT 1 FROM mirror) AS mirrored, EXISTS (SELECT 1 FROM outbox) AS queued').get() as { mirrored: number; queued: number };
  return row.mirrored === 0 && row.queued === 0;
}

export class AccountMismatchError extends Error {
  override readonly name = 'AccountMismatchError';
  constructor(
    readonly bound: AccountIdentity,
    readonly wanted: AccountIdentity,
    home: string,
  ) {
    super(
      `this device syncs ${bound.email} on ${bound.server} (state in ${home}); its files would go into ${wanted.email} on ${wanted.server}: ` +
        `run nimbus logout --forget first (forgets this sync state; your files stay), or use another NIMBUS_HOME and NIMBUS_LIBRARY`,
    );
  }
}

/**
 * Records (or checks) which account the state mirrors. A different account may take over only a state that
 * holds nothing; then what the old account left (feed tokens, status) is dropped first.
 */
export function bindAccount(store: LocalStore, home: string, wanted: AccountIdentity): void {
  const bound = boundAccount(store);
  if (bound && !sameAccount(bound, wanted)) {
    if (!stateIsEmpty(store)) throw new AccountMismatchError(bound, wanted, home);
    clearAccountMeta(store);
  }
  const next: AccountIdentity = { ...wanted, accountId: wanted.accountId ?? bound?.accountId };
  if (!bound || JSON.stringify(bound) !== JSON.stringify(next)) store.setMeta(ACCOUNT_META_KEY, JSON.stringify(next));
}

/** Meta rows that belong to the account (tokens, status, history), not to the device. */
function clearAccountMeta(store: LocalStore): void {
  const keep = store.db.prepare('SELECT key FROM meta').all() as { key: string }[];
  store.tx(() => {
    for (const { key } of keep) if (!DEVICE_META.has(key)) store.deleteMeta(key);
  });
}
const DEVICE_META = new Set(['device-id', 'deviceId', DNS_SERVERS_META_KEY, SYSTEM_METERED_META_KEY]);

/** `nimbus login` before it writes session.json: refuses another account while this state mirrors the first one. */
export function checkAccountForLogin(home: string, wanted: AccountIdentity): void {
  const store = new LocalStore(stateFilePath(home));
  try {
    const bound = boundAccount(store);
    if (bound && !sameAccount(bound, wanted) && !stateIsEmpty(store)) throw new AccountMismatchError(bound, wanted, home);
  } finally {
    store.close();
  }
}

/**
 * `nimbus logout --forget`: drops the mirror, the outbox and the account's tokens of this home; the service
 * settings stay, and so do the library's files. Returns how many changes were waiting to be sent.
 */
export async function forgetSyncState(home: string): Promise<number> {
  const file = stateFilePath(home);
  const store = new LocalStore(file);
  let dropped: number;
  let settings: ReturnType<LocalStore['serviceSettings']>;
  let metered: boolean | undefined;
  let dnsServers: string[];
  try {
    dropped = (store.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    settings = store.serviceSettings();
    metered = store.meteredSetting();
    dnsServers = readDnsServers(store);
  } finally {
    store.close();
  }
  for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
  await rm(join(home, 'downloads'), { recursive: true, force: true });
  const fresh = new LocalStore(file);
  try {
    fresh.tx(() => {
      for (const [service, value] of Object.entries(settings)) fresh.setServiceSettings(service as keyof typeof settings, value);
      fresh.setMetered(metered);
      writeDnsServers(fresh, dnsServers);
    });
  } finally {
    fresh.close();
  }
  return dropped;
}
