import { CAUSES, type Cause, type SyncFailure } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { formatAgo, formatBanner, formatBytes, formatDuration, remediesFor } from './remedies.js';
import { SyncStatusMachine } from './status-machine.js';

const NOW = 10_000_000;
const failure = (body: Record<string, unknown>): SyncFailure => classify({ error: { message: 'x', ...body } }, { now: NOW }) as SyncFailure;

function machine() {
  const m = new SyncStatusMachine({ now: () => NOW, stallAfterMs: 60_000, signedIn: true });
  m.configureService('passwords', { enabled: false });
  m.configureService('backups', { enabled: false });
  return m;
}

describe('figures', () => {
  it('formats bytes in decimal units like phones', () => {
    expect(formatBytes(5_000_000_000)).toBe('5.0 GB');
    expect(formatBytes(4_990_000_000)).toBe('5.0 GB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(2.5e12)).toBe('2.5 TB');
  });

  it('formats durations in seconds, minutes, hours and days', () => {
    expect(formatDuration(30_000)).toBe('30 seconds');
    expect(formatDuration(1_000)).toBe('1 second');
    expect(formatDuration(120_000)).toBe('2 minutes');
    expect(formatDuration(-5 * 3_600_000)).toBe('5 hours');
    expect(formatDuration(3 * 86_400_000)).toBe('3 days');
    expect(formatAgo(NOW - 10_000, NOW)).toBe('just now');
  });
});

describe('remedies', () => {
  it('every cause has at least one remedy, with stable unique ids', () => {
    for (const cause of Object.values(CAUSES) as Cause[]) {
      const list = remediesFor(cause);
      expect(list.length).toBeGreaterThan(0);
      expect(new Set(list.map((r) => r.id)).size).toBe(list.length);
      for (const r of list) expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('names the contract commands', () => {
    expect(remediesFor('QUOTA_EXCEEDED').map((r) => r.command)).toContain('nimbus services disable photos drive');
    expect(remediesFor('AUTH_EXPIRED')[0]?.command).toBe('nimbus login');
    expect(remediesFor('DNS_FAILURE')[0]?.text).toContain('nimbus config set dns 1.1.1.1');
    expect(remediesFor('NETWORK_CAPTIVE_PORTAL', { portalUrl: 'http://portal/' })[0]).toMatchObject({ id: 'open-portal' });
    expect(remediesFor('CLOCK_SKEW')[0]?.id).toBe('set-clock-automatically');
  });
});

describe('formatBanner', () => {
  it('quota: the figures, what waits, what goes on and the fix', () => {
    const m = machine();
    m.pause(failure({ kind: 'QUOTA_EXCEEDED', usedBytes: 5e9, quotaBytes: 5e9 }));
    expect(formatBanner(m.toJson(), NOW)).toBe(
      'Sync Paused — storage full (5.0 GB of 5.0 GB used). Photos and Drive are waiting; contacts and notes are syncing. Fix: nimbus storage',
    );
  });

  it('quota not quite full: the figures say what waits does not fit; passwords and backups without a folder are not named', () => {
    const m = new SyncStatusMachine({ now: () => NOW, stallAfterMs: 60_000, signedIn: true });
    m.pause(failure({ kind: 'QUOTA_EXCEEDED', usedBytes: 300_000, quotaBytes: 1e6 }));
    expect(formatBanner(m.toJson(), NOW)).toBe(
      'Sync Paused — storage full (300.0 KB of 1.0 MB used; what waits to upload does not fit). Photos and Drive are waiting; contacts and notes are syncing. Fix: nimbus storage',
    );
  });

  it('revoked sessions say why; signed out counts what waits', () => {
    const m = machine();
    m.pause(failure({ kind: 'AUTH_REVOKED', reason: 'PASSWORD_CHANGED' }));
    expect(formatBanner(m.toJson(), NOW)).toBe("Sync Paused — you were signed out (the account's password was changed). Fix: nimbus login");
    m.signOut();
    m.setPending('notes', 2);
    expect(formatBanner(m.toJson(), NOW)).toBe('Signed out — run nimbus login --server URL --email EMAIL (2 changes wait here and are sent after you sign in)');
  });

  it('captive portal: where to sign in, no command', () => {
    const m = machine();
    m.pause(classify({ status: 302, location: 'http://wifi.example/' }, { now: NOW }) as SyncFailure);
    expect(formatBanner(m.toJson(), NOW)).toBe(
      'Sync Paused — this Wi-Fi needs a sign-in page (captive portal). Open http://wifi.example/ then sync resumes by itself.',
    );
  });

  it('rate limits say when sync resumes; clock skew says by how much', () => {
    const m = machine();
    m.pause(failure({ kind: 'RATE_LIMITED', retryAfterSeconds: 120 }));
    expect(formatBanner(m.toJson(), NOW)).toBe('Sync Paused — the server asked Nimbus to slow down. Retrying in 2 minutes.');
    m.pause(failure({ kind: 'CLOCK_SKEW', offsetMs: -3 * 86_400_000 }));
    expect(formatBanner(m.toJson(), NOW)).toContain("this device's clock is 3 days behind the server's");
  });

  it('up to date, syncing, stalled and signed out', () => {
    const m = machine();
    expect(formatBanner(m.toJson(), NOW)).toBe('Up to date');
    m.setPending('notes', 12);
    expect(formatBanner(m.toJson(), NOW)).toBe('Syncing — 12 items left');
    m.tick(NOW + 60_000);
    expect(formatBanner(m.toJson(), NOW + 60_000)).toMatch(/^Sync Stalled — 12 items left/);
    m.setPending('notes', 0);
    m.finish();
    expect(formatBanner(m.toJson(), NOW + 120_000)).toBe('Up to date — last synced 2 minutes ago');
    m.signOut();
    expect(formatBanner(m.toJson(), NOW)).toBe('Signed out — run nimbus login --server URL --email EMAIL');
    expect(formatBanner(m.toJson(), NOW, { login: 'nimbus login --server http://h --email a@b.c' })).toBe('Signed out — run nimbus login --server http://h --email a@b.c');
  });

  it('mentions services waiting for Wi-Fi and items set aside', () => {
    const m = machine();
    m.setWaiting('photos', 'wifi');
    m.setPending('photos', 3);
    m.setAside('notes', 'n1', 'BAD_REQUEST: too big');
    expect(formatBanner(m.toJson(), NOW)).toBe('Up to date. Photos: 3 items waiting for Wi-Fi. 1 item set aside (see nimbus status --json).');
  });
});
