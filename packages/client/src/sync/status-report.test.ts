import { SERVICES, type DeviceStatusReport, type SyncStatusJson } from '@nimbus/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalStore, stateFilePath } from '../store/local-store.js';
import { StatusReporter, type StatusSink } from './status-report.js';

function statusWith(change: Partial<SyncStatusJson> = {}): SyncStatusJson {
  const services = Object.fromEntries(SERVICES.map((s) => [s, { enabled: true, cellular: true, pending: 0, lastSyncedAt: 1_000, setAside: [], waiting: null }]));
  return { state: 'idle', failure: null, pending: Object.fromEntries(SERVICES.map((s) => [s, 0])), lastSyncedAt: 1_000, stalled: false, services, ...change } as SyncStatusJson;
}

describe('StatusReporter', () => {
  let home: string;
  let store: LocalStore;
  let status: SyncStatusJson;
  let sent: DeviceStatusReport[];
  let target: string | null;
  let failing: boolean;
  const clock = { now: 1_000_000 };
  const sink: StatusSink = {
    target: () => Promise.resolve(target),
    send: (report) => {
      if (failing) return Promise.reject(new Error('offline'));
      sent.push(report);
      return Promise.resolve();
    },
  };
  const reporter = () => new StatusReporter({ sink, status: () => status, store, now: () => clock.now, minIntervalMs: 2_000, refreshMs: 60_000 });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'nimbus-report-'));
    store = new LocalStore(stateFilePath(home));
    status = statusWith();
    sent = [];
    target = 'session-1';
    failing = false;
    vi.useFakeTimers();
  });
  afterEach(async () => {
    vi.useRealTimers();
    store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('a change while a slow report is on its way is reported after it', async () => {
    let release: () => void = () => undefined;
    const slow: StatusSink = {
      target: () => Promise.resolve(target),
      send: (report) => {
        sent.push(report);
        return sent.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    };
    const r = new StatusReporter({ sink: slow, status: () => status, store, now: () => clock.now, minIntervalMs: 2_000, refreshMs: 60_000 });
    status = statusWith({ state: 'syncing' });
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    // The pass ends while the server is still taking "syncing", longer than the interval.
    clock.now += 3_000;
    status = statusWith();
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.state)).toEqual(['syncing']);
    release();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((s) => s.state)).toEqual(['syncing', 'idle']);
  });

  it('coalesces a burst of changes into one report of the latest status', async () => {
    const r = reporter();
    status = statusWith({ state: 'syncing' });
    r.changed();
    r.changed();
    status = statusWith({ state: 'paused', failure: { code: 'SYNC_FAIL', cause: 'QUOTA_EXCEEDED', family: 'storage', message: 'full', affects: ['drive'], remedies: [] } });
    r.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.state)).toEqual(['paused']);
    expect(sent[0]?.banner).toMatch(/^Sync Paused/);
    // The next change waits for the interval, then goes.
    clock.now += 500;
    status = statusWith();
    r.changed();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.map((s) => s.state)).toEqual(['paused', 'idle']);
    r.close();
  });

  it('sends nothing the server already has, across reporters (processes), until "last synced" is old news', async () => {
    await reporter().flush();
    await reporter().flush();
    expect(sent).toHaveLength(1);
    status = statusWith({ lastSyncedAt: 2_000, progress: { done: 1, total: 2 } });
    await reporter().flush();
    expect(sent).toHaveLength(1);
    status = statusWith({ lastSyncedAt: clock.now + 120_000 });
    await reporter().flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]).not.toHaveProperty('progress');
  });

  it('reports again to a new session (a sign-in is a new device on the server), and never while signed out', async () => {
    await reporter().flush();
    target = 'session-2';
    await reporter().flush();
    expect(sent).toHaveLength(2);
    target = null;
    status = statusWith({ state: 'syncing' });
    await reporter().flush();
    status = statusWith({ state: 'signed_out' });
    target = 'session-2';
    await reporter().flush();
    expect(sent).toHaveLength(2);
  });

  it('does not try while paused by something between it and the server, but does for a full account or disk', async () => {
    const failure = (cause: 'NETWORK_OFFLINE' | 'AUTH_REVOKED' | 'QUOTA_EXCEEDED', family: 'network' | 'auth' | 'storage') =>
      statusWith({ state: 'paused', failure: { code: 'SYNC_FAIL', cause, family, message: cause, affects: ['drive'], remedies: [] } });
    status = failure('NETWORK_OFFLINE', 'network');
    await reporter().flush();
    status = failure('AUTH_REVOKED', 'auth');
    await reporter().flush();
    expect(sent).toHaveLength(0);
    status = failure('QUOTA_EXCEEDED', 'storage');
    await reporter().flush();
    expect(sent.map((s) => s.failure?.cause)).toEqual(['QUOTA_EXCEEDED']);
  });

  it('ignores a failed report and tries again with the next one', async () => {
    failing = true;
    await reporter().flush();
    expect(sent).toHaveLength(0);
    failing = false;
    await reporter().flush();
    expect(sent).toHaveLength(1);
  });

  it('keeps a report small: set-aside items and their reasons are cut', async () => {
    const setAside = Array.from({ length: 500 }, (_, i) => ({ id: `item-${i}`, reason: 'r'.repeat(5_000) }));
    status = statusWith();
    status.services.drive = { ...status.services.drive, setAside };
    await reporter().flush();
    const drive = sent[0]?.services.drive;
    expect(drive?.setAside).toHaveLength(20);
    expect(drive?.setAside[0]?.reason.length).toBe(300);
    expect(JSON.stringify(sent[0]).length).toBeLessThan(64 * 1024);
  });
});
