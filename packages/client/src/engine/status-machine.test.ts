import { syncStatusJsonSchema, type SyncFailure, type SyncStatusJson } from '@nimbus/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { IllegalTransitionError, SyncStatusMachine } from './status-machine.js';

const quota = classify({ error: { kind: 'QUOTA_EXCEEDED', message: 'full', usedBytes: 5e9, quotaBytes: 5e9 } }, { now: 0 }) as SyncFailure;
const revoked = classify({ error: { kind: 'AUTH_REVOKED', message: 'x', reason: 'PASSWORD_CHANGED' } }, { now: 0 }) as SyncFailure;
const offline = classify(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), { now: 0 }) as SyncFailure;

function setup(signedIn = true) {
  let now = 1_000_000;
  const machine = new SyncStatusMachine({ now: () => now, stallAfterMs: 60_000, signedIn });
  const seen: SyncStatusJson[] = [];
  machine.subscribe((s) => seen.push(s));
  return { machine, seen, advance: (ms: number) => (now += ms), now: () => now };
}

describe('SyncStatusMachine', () => {
  it('starts idle (or signed out) with every service counted', () => {
    const { machine } = setup();
    const json = machine.toJson();
    expect(syncStatusJsonSchema.parse(json)).toEqual(json);
    expect(json).toMatchObject({ state: 'idle', failure: null, stalled: false, lastSyncedAt: null });
    expect(Object.keys(json.pending)).toEqual(['contacts', 'notes', 'photos', 'drive', 'passwords', 'backups']);
    expect(setup(false).machine.toJson().state).toBe('signed_out');
  });

  it('new work while idle starts syncing by itself, so idle never holds pending work', () => {
    const { machine, seen } = setup();
    machine.setPending('notes', 3);
    expect(machine.state).toEqual({ kind: 'syncing', progress: { done: 0, total: 3 } });
    machine.setPending('notes', 1);
    expect(machine.state).toEqual({ kind: 'syncing', progress: { done: 2, total: 3 } });
    expect(() => machine.finish()).toThrow(IllegalTransitionError);
    machine.setPending('notes', 0);
    machine.finish();
    expect(machine.toJson()).toMatchObject({ state: 'idle', lastSyncedAt: 1_000_000 });
    expect(machine.toJson().services.notes.lastSyncedAt).toBe(1_000_000);
    expect(seen.map((s) => s.state)).toEqual(['syncing', 'syncing', 'syncing', 'idle']);
  });

  it('refuses illegal moves', () => {
    const { machine } = setup(false);
    expect(() => machine.start()).toThrow(/cannot start syncing while signed_out/);
    expect(() => machine.pause(quota)).toThrow(IllegalTransitionError);
    expect(() => machine.resume()).toThrow(IllegalTransitionError);
    expect(() => machine.finish()).toThrow(IllegalTransitionError);
    const { machine: m2 } = setup();
    expect(() => m2.signIn()).toThrow(IllegalTransitionError);
    expect(() => m2.scheduleRetry(5)).toThrow(IllegalTransitionError);
    expect(() => m2.setPending('notes', -1)).toThrow(RangeError);
  });

  it('pauses with a failure, keeps `since` for the same cause, and resumes', () => {
    const { machine, advance } = setup();
    machine.setPending('photos', 5);
    machine.pause(quota, 1_030_000);
    advance(10_000);
    machine.pause(quota, 1_060_000);
    const json = machine.toJson();
    expect(json).toMatchObject({ state: 'paused', pausedSince: 1_000_000, nextAttemptAt: 1_060_000 });
    expect(json.failure?.cause).toBe('QUOTA_EXCEEDED');
    machine.pause(offline);
    expect(machine.toJson().pausedSince).toBe(1_010_000);
    machine.scheduleRetry(null);
    expect(machine.toJson().nextAttemptAt).toBeNull();
    machine.resume();
    expect(machine.toJson()).toMatchObject({ state: 'syncing', failure: null, progress: { done: 0, total: 5 } });
  });

  it('an auth pause keeps pending work and ends with sign-in', () => {
    const { machine } = setup();
    machine.setPending('contacts', 2);
    machine.pause(revoked);
    machine.signIn();
    expect(machine.toJson()).toMatchObject({ state: 'syncing', pending: { contacts: 2 } });
    machine.signOut('PASSWORD_CHANGED');
    expect(machine.toJson()).toMatchObject({ state: 'signed_out', signedOutReason: 'PASSWORD_CHANGED', pending: { contacts: 2 } });
    expect(() => machine.pause(offline)).toThrow(IllegalTransitionError);
  });

  it('the watchdog marks stalled when pending work does not move, and progress clears it', () => {
    const { machine, advance, now } = setup();
    machine.setPending('drive', 4);
    advance(59_999);
    machine.tick(now());
    expect(machine.stalled).toBe(false);
    advance(1);
    machine.tick(now());
    expect(machine.toJson()).toMatchObject({ state: 'syncing', stalled: true });
    machine.noteProgress();
    expect(machine.stalled).toBe(false);
    advance(60_000);
    machine.tick(now());
    expect(machine.stalled).toBe(true);
    machine.setPending('drive', 3);
    expect(machine.stalled).toBe(false);
  });

  it('a pause does not count its own stopped services as stalled, but does count the ones that should go on', () => {
    const { machine, advance, now } = setup();
    machine.setPending('photos', 10);
    machine.pause(quota);
    advance(120_000);
    machine.tick(now());
    expect(machine.stalled).toBe(false); // photos wait for space: a named pause, not a stall
    machine.setPending('notes', 1);
    advance(120_000);
    machine.tick(now());
    expect(machine.stalled).toBe(true); // notes should sync under the essential allowance
  });

  it('a service waiting for Wi-Fi or switched off does not keep the engine from idle', () => {
    const { machine } = setup();
    machine.setWaiting('photos', 'wifi');
    machine.setPending('photos', 7);
    expect(machine.state.kind).toBe('idle');
    expect(machine.toJson().services.photos).toMatchObject({ pending: 7, waiting: 'wifi' });
    machine.setWaiting('photos', null);
    expect(machine.state.kind).toBe('syncing');
    machine.configureService('photos', { enabled: false, cellular: false });
    machine.finish();
    expect(machine.toJson().services.photos).toMatchObject({ enabled: false, cellular: false });
    machine.configureService('photos', { enabled: true });
    expect(machine.state.kind).toBe('syncing');
  });

  it('keeps set-aside items with their reason', () => {
    const { machine } = setup();
    machine.setAside('drive', 'big.iso', 'UPLOAD_MISMATCH: hash differs');
    expect(machine.toJson().services.drive.setAside).toEqual([{ id: 'big.iso', reason: 'UPLOAD_MISMATCH: hash differs' }]);
    machine.clearSetAside('drive', 'big.iso');
    expect(machine.toJson().services.drive.setAside).toEqual([]);
  });

  it('unsubscribe stops notifications; a throwing listener does not starve the others', () => {
    const { machine, seen } = setup();
    const other: string[] = [];
    const off = machine.subscribe(() => other.push('x'));
    machine.subscribe(() => {
      throw new Error('listener bug');
    });
    expect(() => machine.setPending('notes', 1)).toThrow('listener bug');
    expect(seen).toHaveLength(1);
    expect(other).toHaveLength(1);
    off();
  });

  it('property: whatever the sequence of events, idle never shows runnable pending work', () => {
    const service = fc.constantFrom('contacts', 'notes', 'photos', 'drive', 'passwords', 'backups' as const);
    const event = fc.oneof(
      fc.record({ t: fc.constant('pending' as const), s: service, n: fc.nat(5) }),
      fc.record({ t: fc.constant('wifi' as const), s: service, on: fc.boolean() }),
      fc.record({ t: fc.constant('enable' as const), s: service, on: fc.boolean() }),
      fc.constantFrom({ t: 'start' as const }, { t: 'finish' as const }, { t: 'pause' as const }, { t: 'resume' as const }),
      fc.constantFrom({ t: 'signOut' as const }, { t: 'signIn' as const }, { t: 'tick' as const }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let now = 0;
        const m = new SyncStatusMachine({ now: () => now, stallAfterMs: 10, signedIn: true });
        for (const e of events) {
          now += 7;
          try {
            if (e.t === 'pending') m.setPending(e.s, e.n);
            else if (e.t === 'wifi') m.setWaiting(e.s, e.on ? 'wifi' : null);
            else if (e.t === 'enable') m.configureService(e.s, { enabled: e.on });
            else if (e.t === 'pause') m.pause(offline);
            else if (e.t === 'tick') m.tick(now);
            else m[e.t]();
          } catch (error) {
            if (!(error instanceof IllegalTransitionError)) throw error;
          }
          const json = m.toJson();
          if (json.state === 'idle') {
            const runnable = Object.entries(json.services).filter(([, s]) => s.enabled && !s.waiting);
            expect(runnable.every(([, s]) => s.pending === 0)).toBe(true);
            expect(json.stalled).toBe(false);
          }
        }
      }),
    );
  });
});
