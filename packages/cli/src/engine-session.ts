// The CLI's link to the sync engine: the agent lock, the engine of this home and library, the stored status, the agent.
import {
  AgentLockedError,
  LocalStore,
  boundAccount,
  dnsRoute,
  readDnsServers,
  readHomeDnsServers,
  resetNetworkState,
  RESUME_REQUEST_META_KEY,
  loginCommand,
  PROBE_TIMEOUT_MS,
  probeConnectivity,
  acquireAgentLock,
  homeFeedWatch,
  openEngine,
  processAlive,
  pinnedPhotos,
  readOptimizeSettings,
  readStoredStatus,
  runAgent,
  sessionFilePath,
  stateFilePath,
  type AgentLock,
  type ProbeResult,
  type RunAgentOptions,
  type SyncEngine,
} from '@nimbus/client';
import type { SyncStatusJson } from '@nimbus/protocol';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { libraryFolder } from './device.js';
import { EXIT, UserError } from './output.js';
import { loadSession, requestTimeoutMs } from './session.js';

/** `nimbus agent`: the one agent of this home, or a one-line error naming the running one. */
export async function agentLock(home: string): Promise<AgentLock> {
  try {
    return await acquireAgentLock(home);
  } catch (error) {
    if (error instanceof AgentLockedError) throw new UserError(error.message, EXIT.failure);
    throw error;
  }
}

/** `nimbus sync`: a pass takes the same lock, so it never runs beside an agent on the same state. */
export async function passLock(home: string): Promise<AgentLock> {
  try {
    return await acquireAgentLock(home);
  } catch (error) {
    if (error instanceof AgentLockedError) {
      throw new UserError(`nimbus agent (pid ${error.pid}) is already syncing this device: it syncs by itself (nimbus status shows where it is)`, EXIT.failure);
    }
    throw error;
  }
}

export interface DeviceEngine {
  engine: SyncEngine;
  library: string;
  /** The server signed in to, or "no server" when signed out. */
  server: string;
  home: string;
  close(): void;
}

export async function openDeviceEngine(home: string): Promise<DeviceEngine> {
  const library = await libraryFolder();
  const session = await loadSession(home);
  const timeoutMs = requestTimeoutMs();
  const engine = await openEngine({ home, library, timeoutMs, probe: () => resetAndProbe(home, timeoutMs) });
  return { engine, library, home, server: session?.server ?? 'no server (signed out: run nimbus login)', close: () => engine.close() };
}

/**
 * After a network-looking failure: "reset network state" (pooled connections may lead into a black hole or a
 * route that is gone), then probe the sync port and the probe port of the signed-in server.
 */
async function resetAndProbe(home: string, timeoutMs: number): Promise<ProbeResult | undefined> {
  const session = await loadSession(home).catch(() => undefined);
  if (!session) return undefined;
  resetNetworkState();
  const servers = readHomeDnsServers(home);
  const dns = dnsRoute(() => servers);
  return probeConnectivity({ server: session.server, timeoutMs: Math.min(PROBE_TIMEOUT_MS, timeoutMs), fetch: dns.wrap(globalThis.fetch) });
}

/** Runs the agent for this device until `signal` aborts. */
export async function startAgent(device: DeviceEngine, signal: AbortSignal, hooks: Pick<RunAgentOptions, 'onPass' | 'onError' | 'extraSources'> = {}): Promise<void> {
  const settings = new LocalStore(stateFilePath(device.home), { readonly: true });
  try {
    const options: RunAgentOptions = {
      engine: device.engine,
      library: device.library,
      feedWait: homeFeedWatch(device.home, settings),
      configFingerprint: () => fingerprint(settings, device.home),
      requestTimeoutMs: requestTimeoutMs(),
      ...hooks,
    };
    await runAgent(options, signal);
  } finally {
    settings.close();
  }
}

/**
 * Settings rows, the metered flag, the DNS servers, `doctor --fix`'s resume request, the session file's identity and
 * Optimize Storage's settings:
 * any change is a configuration change (a pass now).
 */
function fingerprint(store: LocalStore, home: string): string {
  const session = (() => {
    try {
      const s = statSync(sessionFilePath(home));
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return 'none';
    }
  })();
  const photos = [readOptimizeSettings(store), [...pinnedPhotos(store)].length];
  return JSON.stringify([store.serviceSettings(), store.isMetered(), readDnsServers(store), store.getMeta(RESUME_REQUEST_META_KEY) ?? null, session, photos]);
}

/** The status the engine last stored; reconciled with the session file (a logout since then is signed out). */
export async function storedStatus(home: string): Promise<SyncStatusJson> {
  const session = await loadSession(home);
  let status = readStoredStatus(home);
  if (!status) {
    // Nothing stored yet: the engine computes it (pending counts of an outbox, settings) and stores it.
    const engine = await openEngine({ home, library: join(home, 'unused-library') });
    try {
      status = engine.status();
    } finally {
      engine.close();
    }
  }
  if (!session && status.state !== 'signed_out') {
    const { failure: _failure, progress: _progress, pausedSince: _since, nextAttemptAt: _next, ...rest } = status;
    status = { ...rest, state: 'signed_out', failure: null };
  }
  return status;
}

/** The pid of the agent running on this home, if one is. */
export function runningAgent(home: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(home, 'agent.lock'), 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** The exact `nimbus login …` for this device: its session's account, else the account its state mirrors. */
export async function loginHint(home: string): Promise<string> {
  const session = await loadSession(home).catch(() => undefined);
  if (session) return loginCommand(session);
  if (!existsSync(stateFilePath(home))) return loginCommand(undefined);
  try {
    const store = new LocalStore(stateFilePath(home), { readonly: true });
    try {
      return loginCommand(boundAccount(store));
    } finally {
      store.close();
    }
  } catch {
    return loginCommand(undefined);
  }
}

/** When session.json was last written (a sign-in), or null without one. */
export function sessionWrittenAt(home: string): number | null {
  try {
    return statSync(sessionFilePath(home)).mtimeMs;
  } catch {
    return null;
  }
}
