import { describe, expect, it } from 'vitest';
import { resolveServerConfig } from './config.js';

describe('resolveServerConfig: NATS', () => {
  it('is off by default (and when NIMBUS_NATS_URL is empty); the flag wins over the environment', () => {
    expect(resolveServerConfig({}, {}).natsUrl).toBeNull();
    expect(resolveServerConfig({}, { NIMBUS_NATS_URL: '' }).natsUrl).toBeNull();
    expect(resolveServerConfig({}, { NIMBUS_NATS_URL: 'nats://env:4222' }).natsUrl).toBe('nats://env:4222');
    expect(resolveServerConfig({ nats: 'nats://flag:4222' }, { NIMBUS_NATS_URL: 'nats://env:4222' }).natsUrl).toBe('nats://flag:4222');
  });
});
