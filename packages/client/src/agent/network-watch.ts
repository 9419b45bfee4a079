// The device's network changed (Wi-Fi to cable, a VPN came up, a new address after sleep): old connections and
// cached DNS answers may point nowhere, and a paused device should try again now rather than at its backoff.
import { networkInterfaces } from 'node:os';
import type { TriggerSource } from './agent.js';
import { every, type Timers } from './timers.js';

/** The device's external addresses, as a comparable string (interface name and address, sorted). */
export function networkFingerprint(read: typeof networkInterfaces = networkInterfaces): string {
  const addresses: string[] = [];
  for (const [name, entries] of Object.entries(read())) {
    for (const entry of entries ?? []) if (!entry.internal) addresses.push(`${name} ${entry.address}`);
  }
  return addresses.sort().join(',');
}

export interface NetworkWatchOptions {
  readonly timers: Timers;
  /** Drops pooled connections and cached DNS answers (resetNetworkState). */
  readonly reset: () => void;
  readonly fingerprint?: () => string;
  readonly everyMs?: number;
}

/**
 * Polls the interfaces (Node has no network-change event) and, on a change, resets the network state and
 * triggers 'reconnect'. Polling every 2 s costs one getifaddrs call.
 */
export function networkWatch(options: NetworkWatchOptions): TriggerSource {
  const read = options.fingerprint ?? (() => networkFingerprint());
  return (trigger) => {
    let last = read();
    return every(options.timers, options.everyMs ?? 2_000, () => {
      const now = read();
      if (now !== last) {
        last = now;
        options.reset();
        trigger('reconnect');
      }
    });
  };
}
