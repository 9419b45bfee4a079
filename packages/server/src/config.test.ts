import { describe, expect, it } from 'vitest';
import { MIN_CLIENT_PROTOCOL, PROTOCOL_VERSION } from '@nimbus/protocol';
import { ConfigError, resolveServerConfig } from './config.js';

describe('resolveServerConfig: NATS', () => {
  it('is off by default (and when NIMBUS_NATS_URL is empty); the flag wins over the environment', () => {
    expect(resolveServerConfig({}, {}).natsUrl).toBeNull();
    expect(resolveServerConfig({}, { NIMBUS_NATS_URL: '' }).natsUrl).toBeNull();
    expect(resolveServerConfig({}, { NIMBUS_NATS_URL: 'nats://env:4222' }).natsUrl).toBe('nats://env:4222');
    expect(resolveServerConfig({ nats: 'nats://flag:4222' }, { NIMBUS_NATS_URL: 'nats://env:4222' }).natsUrl).toBe('nats://flag:4222');
  });
});

describe('resolveServerConfig: NIMBUS_MIN_CLIENT_PROTOCOL', () => {
  it('defaults to the oldest protocol this code serves; an operator may raise it, never to nonsense', () => {
    expect(resolveServerConfig({}, {}).minClientProtocol).toBe(MIN_CLIENT_PROTOCOL);
    expect(resolveServerConfig({}, { NIMBUS_MIN_CLIENT_PROTOCOL: '' }).minClientProtocol).toBe(MIN_CLIENT_PROTOCOL);
    expect(resolveServerConfig({}, { NIMBUS_MIN_CLIENT_PROTOCOL: String(PROTOCOL_VERSION + 1) }).minClientProtocol).toBe(PROTOCOL_VERSION + 1);
    for (const bad of ['0', '1.5', 'two', '-1']) {
      expect(() => resolveServerConfig({}, { NIMBUS_MIN_CLIENT_PROTOCOL: bad })).toThrow(ConfigError);
    }
  });
});
