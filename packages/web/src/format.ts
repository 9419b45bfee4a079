// Sizes and dates the way phones show them: decimal units, local dates, "5 minutes ago".
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function timeAgo(ms: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return formatDate(ms);
}

/** The user-facing name of a service or zone. */
export const SERVICE_LABELS: Record<string, string> = {
  contacts: 'Contacts',
  notes: 'Notes',
  photos: 'Photos',
  drive: 'Drive',
  passwords: 'Passwords',
  keychain: 'Passwords',
  backups: 'Backups',
};
export const serviceLabel = (name: string): string => SERVICE_LABELS[name] ?? name;

/** "Chrome on Linux", "Nimbus app" — a user agent the way a person would name it. */
export function describeAgent(agent: string | null): string {
  if (agent === null || agent === '' || /^node|nimbus/i.test(agent)) return 'Nimbus app';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'a browser';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : null;
  return system ? `${browser} on ${system}` : browser;
}
