// What a person reads: the remedies for each cause, figures (bytes, durations) and the one-glance status banner.
import { SERVICES, type Cause, type Remedy, type Service, type SyncFailure, type SyncStatusJson } from '@nimbus/protocol';

/** Decimal units, like phones and iCloud show storage: 5,000,000,000 bytes = "5.0 GB". */
export function formatBytes(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  if (!Number.isFinite(bytes) || Math.abs(bytes) < 1000) return `${Math.round(bytes)} bytes`;
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (Math.abs(value) < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A span for a person: "45 seconds", "12 minutes", "5 hours", "3 days" (rounded, sign ignored). */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const seconds = Math.round(abs / 1000);
  if (seconds < 90) return plural(Math.max(seconds, 1), 'second');
  const minutes = Math.round(abs / 60_000);
  if (minutes < 90) return plural(minutes, 'minute');
  const hours = Math.round(abs / 3_600_000);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.round(abs / 86_400_000), 'day');
}

/** "3 days ahead of" / "5 hours behind" for a client − server offset. */
export function formatClockOffset(offsetMs: number): string {
  return `${formatDuration(offsetMs)} ${offsetMs >= 0 ? 'ahead of' : 'behind'}`;
}

/** "2 minutes ago" / "just now". */
export function formatAgo(at: number, now: number): string {
  return now - at < 45_000 ? 'just now' : `${formatDuration(now - at)} ago`;
}

/** The details some remedies quote. */
export interface RemedyDetails {
  readonly portalUrl?: string | undefined;
}

const remedy = (id: string, text: string, command?: string): Remedy => (command ? { id, text, command } : { id, text });
const SIGN_IN = remedy('sign-in', 'Sign in again: nimbus login — nothing pending is lost.', 'nimbus login');
const DOCTOR = remedy('run-doctor', 'Check the connection step by step and apply safe fixes: nimbus doctor --fix', 'nimbus doctor --fix');
const WAIT = remedy('wait', 'Nothing to do: Nimbus retries by itself and resumes when the server answers.');

/** The remedies for a cause, most useful first. Ids are stable: scripts and `doctor --fix` match on them. */
export function remediesFor(cause: Cause, details: RemedyDetails = {}): Remedy[] {
  switch (cause) {
    case 'QUOTA_EXCEEDED':
      return [
        remedy('manage-storage', 'See what uses your storage and delete what you no longer need: nimbus storage', 'nimbus storage'),
        remedy('delete-old-backups', 'Delete old device backups: nimbus backup list, then nimbus backup delete ID', 'nimbus backup list'),
        remedy(
          'disable-heavy-services',
          'Stop syncing photos and Drive to this account: nimbus services disable photos drive',
          'nimbus services disable photos drive',
        ),
        remedy('ask-for-more-space', "Ask your server's admin for a bigger quota."),
      ];
    case 'NETWORK_OFFLINE':
      return [remedy('check-connection', 'Connect to Wi-Fi or a cable; sync resumes by itself.'), DOCTOR];
    case 'NETWORK_CAPTIVE_PORTAL':
      return [
        remedy(
          'open-portal',
          `Open ${details.portalUrl ?? 'any web page'} in a browser and sign in to the Wi-Fi; sync resumes by itself.`,
        ),
        DOCTOR,
      ];
    case 'NETWORK_BLOCKED':
      return [
        remedy('try-another-network', 'This network blocks the sync port: use another network (or a phone hotspot).'),
        remedy('ask-network-admin', "Ask the network's admin to allow the Nimbus server's port."),
        DOCTOR,
      ];
    case 'DNS_FAILURE':
      return [
        remedy('set-dns', 'Use other DNS servers: nimbus config set dns 1.1.1.1,8.8.8.8', 'nimbus config set dns 1.1.1.1,8.8.8.8'),
        remedy('reset-network', 'Forget cached DNS answers and re-resolve: nimbus doctor --fix', 'nimbus doctor --fix'),
        remedy('check-server-address', 'Check the server address you signed in with (nimbus status shows it).'),
      ];
    case 'TLS_UNTRUSTED':
      return [
        remedy('try-another-network', 'This network may intercept secure connections (hotel, office proxy): try another network.'),
        remedy(
          'trust-server-ca',
          'If your server uses its own certificate authority, add it: NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
        ),
        DOCTOR,
      ];
    case 'AUTH_EXPIRED':
    case 'AUTH_REVOKED':
      return [SIGN_IN];
    case 'CLOCK_SKEW':
      return [
        remedy(
          'set-clock-automatically',
          'Set the date and time automatically (Linux: timedatectl set-ntp true); sync resumes by itself.',
          'timedatectl set-ntp true',
        ),
      ];
    case 'SERVER_UNAVAILABLE':
      return [WAIT, remedy('contact-server-admin', "If it lasts, tell your server's admin.")];
    case 'RATE_LIMITED':
      return [WAIT];
    case 'CLIENT_OUTDATED':
      return [remedy('update-nimbus', 'Update Nimbus on this device (git pull && npm install), then sync again.', 'git pull && npm install')];
    case 'LOCAL_STORAGE_FULL':
      return [
        remedy('free-local-space', 'Free space on this device; downloads resume by themselves.'),
        remedy('optimize-photos', 'Keep smaller versions of photos here, originals on the server: nimbus photos optimize on'),
      ];
  }
}

/** The short reason after "Sync Paused — ". */
export function headline(failure: SyncFailure): string {
  switch (failure.cause) {
    case 'QUOTA_EXCEEDED':
      if (failure.usedBytes === undefined || failure.quotaBytes === undefined) return 'storage full';
      // Not quite full, but what waits does not fit: say so, or "300 KB of 1 MB used" reads like a bug.
      return `storage full (${formatBytes(failure.usedBytes)} of ${formatBytes(failure.quotaBytes)} used${
        failure.usedBytes < failure.quotaBytes * 0.95 ? '; what waits to upload does not fit' : ''
      })`;
    case 'NETWORK_OFFLINE':
      return 'this device is offline';
    case 'NETWORK_CAPTIVE_PORTAL':
      return 'this Wi-Fi needs a sign-in page (captive portal)';
    case 'NETWORK_BLOCKED':
      return 'this network blocks the sync port';
    case 'DNS_FAILURE':
      return "the server's name can't be looked up (DNS)";
    case 'TLS_UNTRUSTED':
      return "the server's certificate is not trusted";
    case 'AUTH_EXPIRED':
      return 'your session expired';
    case 'AUTH_REVOKED':
      return REVOKED[failure.reason ?? 'SIGNED_OUT'] ?? 'you were signed out';
    case 'CLOCK_SKEW':
      return failure.offsetMs !== undefined
        ? `this device's clock is ${formatClockOffset(failure.offsetMs)} the server's`
        : "this device's clock is wrong";
    case 'SERVER_UNAVAILABLE':
      return 'the server is not answering';
    case 'RATE_LIMITED':
      return 'the server asked Nimbus to slow down';
    case 'CLIENT_OUTDATED':
      return 'this version of Nimbus is too old for the server';
    case 'LOCAL_STORAGE_FULL':
      return "this device's disk is full";
  }
}

const REVOKED: Readonly<Partial<Record<NonNullable<SyncFailure['reason']>, string>>> = {
  PASSWORD_CHANGED: "you were signed out (the account's password was changed)",
  TWO_FACTOR_ENABLED: 'you were signed out (two-factor authentication was turned on)',
  SIGNED_OUT: 'this device was signed out from another device',
  TOKEN_REUSED: 'you were signed out to be safe (a sign-in token was used twice)',
  SESSION_EXPIRED: 'your session expired',
};

const NAMES: Readonly<Record<Service, string>> = {
  contacts: 'contacts',
  notes: 'notes',
  photos: 'photos',
  drive: 'Drive',
  passwords: 'passwords',
  backups: 'backups',
};
const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** "photos, Drive and backups". */
export function listServices(services: readonly Service[]): string {
  const names = services.map((s) => NAMES[s]);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The services with a folder in the library (Contacts/, Notes/, Photos/, Drive/); the others have none on this device yet. */
export const LIBRARY_SERVICES: readonly Service[] = ['contacts', 'notes', 'photos', 'drive'];

/** Services worth naming to the user: switched on, and with a folder here or something pending or set aside. */
export function shownServices(status: SyncStatusJson): Service[] {
  return SERVICES.filter((s) => {
    const svc = status.services[s];
    return svc.enabled && (LIBRARY_SERVICES.includes(s) || svc.pending > 0 || svc.setAside.length > 0);
  });
}

/** " (3 changes wait here and are sent after you sign in)": nothing is lost while signed out. */
function pendingPhrase(status: SyncStatusJson): string {
  const n = SERVICES.reduce((sum, s) => sum + status.pending[s], 0);
  return n === 0 ? '' : ` (${plural(n, 'change')} wait${n === 1 ? 's' : ''} here and ${n === 1 ? 'is' : 'are'} sent after you sign in)`;
}

function pausedBanner(status: SyncStatusJson, failure: SyncFailure, now: number): string {
  const enabled = shownServices(status);
  const waiting = enabled.filter((s) => failure.affects.includes(s));
  const going = enabled.filter((s) => !failure.affects.includes(s));
  const parts = [`Sync Paused — ${headline(failure)}.`];
  if (failure.cause === 'LOCAL_STORAGE_FULL') parts.push('Downloads are waiting; your changes still upload.');
  else if (waiting.length > 0 && going.length > 0) {
    parts.push(`${capitalize(listServices(waiting))} ${waiting.length === 1 ? 'is' : 'are'} waiting; ${listServices(going)} ${going.length === 1 ? 'is' : 'are'} syncing.`);
  }
  const retryAt = failure.retryAt ?? status.nextAttemptAt ?? undefined;
  if (failure.cause === 'NETWORK_CAPTIVE_PORTAL') {
    parts.push(`Open ${failure.portalUrl ?? 'any web page'} then sync resumes by itself.`);
  } else if (retryAt !== undefined && retryAt !== null && retryAt > now) {
    parts.push(`Retrying in ${formatDuration(retryAt - now)}.`);
  }
  const fix = failure.remedies.find((r) => r.command !== undefined);
  if (fix && failure.cause !== 'NETWORK_CAPTIVE_PORTAL') parts.push(`Fix: ${fix.command}`);
  return parts.join(' ');
}

export interface BannerOptions {
  /** The exact sign-in command for this device's account (signed out). */
  readonly login?: string | undefined;
}

/** The one-glance banner of `nimbus status` (the human form). `now` is the device's clock. */
export function formatBanner(status: SyncStatusJson, now: number, options: BannerOptions = {}): string {
  const setAside = SERVICES.reduce((n, s) => n + status.services[s].setAside.length, 0);
  const aside = setAside > 0 ? ` ${plural(setAside, 'item')} set aside (see nimbus status --json).` : '';
  switch (status.state) {
    case 'signed_out':
      return `Signed out — run ${options.login ?? 'nimbus login --server URL --email EMAIL'}${pendingPhrase(status)}`;
    case 'paused':
      return status.failure ? pausedBanner(status, status.failure, now) + aside : `Sync Paused.${aside}`;
    case 'syncing': {
      const left = SERVICES.reduce((n, s) => n + (status.services[s].waiting ? 0 : status.pending[s]), 0);
      if (status.stalled) return `Sync Stalled — ${plural(left, 'item')} left and nothing has moved for a while. Check: nimbus doctor${aside}`;
      return `Syncing — ${plural(left, 'item')} left${aside}`;
    }
    case 'idle': {
      const head = status.lastSyncedAt === null ? 'Up to date' : `Up to date — last synced ${formatAgo(status.lastSyncedAt, now)}`;
      const wifi = SERVICES.filter((s) => status.services[s].waiting === 'wifi' && status.pending[s] > 0);
      const waits = wifi.map((s) => `${capitalize(NAMES[s])}: ${plural(status.pending[s], 'item')} waiting for Wi-Fi.`);
      return [head + (waits.length > 0 || aside ? '.' : ''), ...waits].join(' ') + aside;
    }
  }
}
