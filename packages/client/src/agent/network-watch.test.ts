import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { networkFingerprint, networkWatch } from './network-watch.js';
import { ManualTimers } from './timers.js';

const iface = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, internal, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` }) as NetworkInterfaceInfo;

describe('networkWatch', () => {
  it('fingerprints external addresses only, in a stable order', () => {
    const a = networkFingerprint(() => ({ lo: [iface('127.0.0.1', true)], wlan0: [iface('192.168.1.5')], eth0: [iface('10.0.0.2')] }));
    const b = networkFingerprint(() => ({ eth0: [iface('10.0.0.2')], wlan0: [iface('192.168.1.5')] }));
    expect(a).toBe(b);
    expect(a).not.toContain('127.0.0.1');
  });

  it('resets the network state and triggers a reconnect when the addresses change, once per change', () => {
    const timers = new ManualTimers();
    let current = 'wlan0 192.168.1.5';
    let resets = 0;
    const reasons: string[] = [];
    const stop = networkWatch({ timers, reset: () => resets++, fingerprint: () => current, everyMs: 1000 })((reason) => reasons.push(reason), undefined as never);
    timers.advance(3000);
    expect(reasons).toEqual([]);
    current = 'eth0 10.0.0.2';
    timers.advance(1000);
    timers.advance(3000);
    expect(reasons).toEqual(['reconnect']);
    expect(resets).toBe(1);
    stop();
    current = 'wlan0 192.168.1.9';
    timers.advance(5000);
    expect(reasons).toEqual(['reconnect']);
  });
});
