// The DNS servers the user chose (`nimbus config set dns 1.1.1.1,8.8.8.8`): parsed, checked, kept in the device's state.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { LocalStore, stateFilePath } from '../store/local-store.js';

/** The meta row holding the servers as a JSON array of `ADDRESS` / `ADDRESS:PORT` / `[V6]:PORT` strings. */
export const DNS_SERVERS_META_KEY = 'dns-servers';

/** A server list that is not IP addresses with optional ports; the message names the bad entry. */
export class DnsServersError extends Error {
  override readonly name = 'DnsServersError';
}

/**
 * `1.1.1.1,8.8.8.8:53,[2606:4700::1111]:53` → the servers in the form `dns.Resolver#setServers` takes.
 * Only IP addresses: a DNS server named by a host name would itself need DNS.
 */
export function parseDnsServers(text: string): string[] {
  const entries = text.split(/[,\s]+/).filter((e) => e !== '');
  if (entries.length === 0) throw new DnsServersError('name at least one DNS server, e.g. 1.1.1.1,8.8.8.8');
  const servers: string[] = [];
  for (const entry of entries) {
    const server = parseOne(entry);
    if (server === undefined) throw new DnsServersError(`"${entry}" is not an IP address with an optional port (e.g. 1.1.1.1, 1.1.1.1:53, [2606:4700::1111]:53)`);
    if (!servers.includes(server)) servers.push(server);
  }
  return servers;
}

function parseOne(entry: string): string | undefined {
  if (isIP(entry) !== 0) return entry; // a bare IPv4 or IPv6 address
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return isIP(v6[1] ?? '') === 6 && validPort(v6[2]) ? entry : undefined;
  const v4 = /^([^:]+):(\d+)$/.exec(entry);
  if (v4) return isIP(v4[1] ?? '') === 4 && validPort(v4[2]) ? entry : undefined;
  return undefined;
}

const validPort = (text: string | undefined): boolean => text === undefined || (/^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535);

/** The configured servers; empty when the system resolver is used. */
export function readDnsServers(store: LocalStore): string[] {
  const text = store.getMeta(DNS_SERVERS_META_KEY);
  if (text === undefined) return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && parseOne(v) !== undefined) : [];
  } catch {
    return [];
  }
}

/** Sets (or, with an empty list, removes) the configured servers. */
export function writeDnsServers(store: LocalStore, servers: readonly string[]): void {
  if (servers.length === 0) store.deleteMeta(DNS_SERVERS_META_KEY);
  else store.setMeta(DNS_SERVERS_META_KEY, JSON.stringify(servers));
}

/** The servers configured for the device at `home` (none when it has no state yet). */
export function readHomeDnsServers(home: string): string[] {
  const file = stateFilePath(home);
  if (!existsSync(file)) return [];
  let store: LocalStore | undefined;
  try {
    store = new LocalStore(file, { readonly: true });
    return readDnsServers(store);
  } catch {
    return [];
  } finally {
    store?.close();
  }
}
