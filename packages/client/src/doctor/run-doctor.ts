// `nimbus doctor`: every check in the contract's order, and the safe fixes of `--fix`.
import type { SyncStatusJson } from '@nimbus/protocol';
import type { LookupFunction } from 'node:net';
import type { ApiClient } from '../api-client.js';
import type { LocalStore } from '../store/local-store.js';
import { runAccountChecks } from './account-checks.js';
import { localDiskCheck, pendingCheck } from './device-checks.js';
import { reportOf, warned, type DoctorCheck, type DoctorReport } from './doctor-check.js';
import { runNetworkChecks } from './network-checks.js';

export interface DoctorInput {
  /** The server signed in to; undefined when signed out (the network checks are then skipped). */
  readonly server: string | undefined;
  readonly client: ApiClient | undefined;
  /** Fetch and lookup through the device's resolver (its DNS servers when set). */
  readonly fetch: typeof fetch;
  readonly lookup: LookupFunction;
  readonly dnsServers: readonly string[];
  /** The engine's stored status (pending counts, items set aside). */
  readonly status: SyncStatusJson | undefined;
  readonly folders: { readonly home: string; readonly library: string };
  readonly login: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

const NETWORK_IDS: readonly [string, string][] = [
  ['server-reachable', 'Server reachable'],
  ['captive-portal', 'Captive portal'],
  ['dns-system', 'DNS (system resolver)'],
  ['dns-configured', 'DNS (your servers)'],
  ['tls', 'TLS'],
  ['clock', 'Clock'],
];

/** Runs every check, in order: network, account, device. Never throws for a failed check. */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const now = input.now ?? Date.now;
  const network: DoctorCheck[] = input.server
    ? await runNetworkChecks({ server: input.server, fetch: input.fetch, lookup: input.lookup, dnsServers: input.dnsServers, timeoutMs: input.timeoutMs, now })
    : NETWORK_IDS.map(([id, title]) => warned(id, title, 'Not checked: signed out (no server to check).'));
  const account = await runAccountChecks({ client: input.client, login: input.login, now });
  return reportOf([...network, ...account, pendingCheck(input.status), await localDiskCheck(input.folders)]);
}

/** A meta row a running agent fingerprints: writing it asks the agent for a pass now (`doctor --fix`'s "resume"). */
export const RESUME_REQUEST_META_KEY = 'resume-requested-at';

export function requestResume(store: LocalStore, now: number): void {
  store.setMeta(RESUME_REQUEST_META_KEY, String(now));
}
