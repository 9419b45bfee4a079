import { describe, expect, it } from 'vitest';
import { LocalStore } from '../store/local-store.js';
import { DnsServersError, parseDnsServers, readDnsServers, writeDnsServers } from './dns-servers.js';

describe('parseDnsServers', () => {
  it('takes IPv4 and IPv6 addresses with optional ports, commas or spaces between, without repeats', () => {
    expect(parseDnsServers('1.1.1.1,8.8.8.8')).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(parseDnsServers(' 127.0.0.1:5353, ::1 [2606:4700::1111]:53,1.1.1.1,1.1.1.1')).toEqual(['127.0.0.1:5353', '::1', '[2606:4700::1111]:53', '1.1.1.1']);
  });

  it.each(['', ',', 'dns.google', '1.1.1', '1.1.1.1:0', '1.1.1.1:70000', '1.1.1.1:', '[1.1.1.1]:53', '::1:53x', '[::1]:port'])('refuses %j naming it', (text) => {
    expect(() => parseDnsServers(text)).toThrow(DnsServersError);
  });

  it('names the bad entry', () => {
    expect(() => parseDnsServers('1.1.1.1,resolver.example')).toThrow(/"resolver\.example" is not an IP address/);
  });
});

describe('the configured servers in the device state', () => {
  it('are stored, read back and removed', () => {
    const store = new LocalStore(':memory:');
    try {
      expect(readDnsServers(store)).toEqual([]);
      writeDnsServers(store, ['1.1.1.1', '127.0.0.1:5353']);
      expect(readDnsServers(store)).toEqual(['1.1.1.1', '127.0.0.1:5353']);
      writeDnsServers(store, []);
      expect(readDnsServers(store)).toEqual([]);
    } finally {
      store.close();
    }
  });
});
