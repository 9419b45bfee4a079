import { SERVICES, type SyncStatusJson } from '@nimbus/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stateLines } from './agent.js';

const service = { enabled: true, cellular: true, pending: 0, lastSyncedAt: null, setAside: [], waiting: null };
function status(state: SyncStatusJson['state'], pending = 0): SyncStatusJson {
  const failure =
    state === 'paused'
      ? { cause: 'SERVER_UNAVAILABLE', family: 'server', message: 'down', affects: [...SERVICES], remedies: [{ id: 'wait', text: 'wait' }], at: 0 }
      : null;
  return {
    state,
    failure,
    pending: Object.fromEntries(SERVICES.map((s) => [s, s === 'drive' ? pending : 0])),
    services: Object.fromEntries(SERVICES.map((s) => [s, { ...service, pending: s === 'drive' ? pending : 0 }])),
    lastSyncedAt: null,
    stalled: false,
  } as unknown as SyncStatusJson;
}

describe('nimbus agent lines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a retry that ends in the same pause prints nothing; a long sync prints one line', () => {
    const lines: string[] = [];
    const view = stateLines((t) => lines.push(t), 'nimbus login --server S --email E', () => 0);
    view.update(status('paused', 1));
    for (let i = 0; i < 5; i++) {
      view.update(status('syncing', 1));
      vi.advanceTimersByTime(100);
      view.update(status('paused', 1));
    }
    expect(lines).toEqual(['Sync Paused — the server is not answering.']);
    view.update(status('syncing', 3));
    vi.advanceTimersByTime(5_000);
    view.update(status('syncing', 2));
    view.update(status('idle'));
    expect(lines.slice(1)).toEqual(['Syncing — 3 items left', 'Up to date']);
    view.stop();
  });
});
