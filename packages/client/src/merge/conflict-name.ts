// The name of the copy kept when two devices changed the same file: `name (conflict from DEVICE YYYY-MM-DD).ext`.

export interface ConflictNameOptions {
  /** IANA time zone for the date; default: this device's. */
  readonly timeZone?: string;
  /** True when a name is already used in the folder; the copy then gets " 2", " 3"… */
  readonly isTaken?: (name: string) => boolean;
}

/** Longest device name kept in a file name, in characters. */
export const DEVICE_NAME_MAX = 40;
/** Most file systems cap one name at 255 bytes of UTF-8. */
const NAME_MAX_BYTES = 255;

/** Extensions of two parts kept together: `backup.tar.gz` → `backup (…).tar.gz`. */
const DOUBLE = /\.tar\.(gz|bz2|xz|zst|lz|lzma|z)$/i;

/** Splits `report.final.pdf` into `report.final` and `.pdf`; dotfiles and trailing dots have no extension. */
export function splitExtension(name: string): { stem: string; ext: string } {
  const double = DOUBLE.exec(name);
  if (double && double.index > 0) return { stem: name.slice(0, double.index), ext: name.slice(double.index) };
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1 || /\s/.test(name.slice(dot))) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/**
 * A device name made safe inside a file name on every OS: no path separators, no control or
 * bidirectional-override characters (which can disguise an extension), none of Windows'
 * reserved `<>:"/\|?*`, spaces collapsed, at most DEVICE_NAME_MAX characters.
 */
export function sanitizeDeviceName(device: string): string {
  const cleaned = device
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .replace(/[<>:"/\\|?*]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s-]+|[.\s]+$/g, '');
  const capped = [...cleaned].slice(0, DEVICE_NAME_MAX).join('').trim();
  return capped === '' ? 'another device' : capped;
}

/** `YYYY-MM-DD` of a moment in a time zone. */
export function calendarDate(date: Date | number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    year: 'numeric', month: '2-digit', day: '2-digit', ...(timeZone ? { timeZone } : {}),
  }).formatToParts(typeof date === 'number' ? new Date(date) : date);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

const encoder = new TextEncoder();
const utf8Length = (text: string): number => encoder.encode(text).length;

/** Cuts a stem (by whole characters) so that stem + rest fits in NAME_MAX_BYTES. */
function fit(stem: string, rest: string): string {
  const budget = NAME_MAX_BYTES - utf8Length(rest);
  if (utf8Length(stem) <= budget) return stem;
  let out = '';
  for (const ch of stem) {
    if (utf8Length(out + ch) > budget) break;
    out += ch;
  }
  return out.trimEnd();
}

/**
 * The name for the losing version of a file both devices changed:
 * `conflictCopyName('report.final.pdf', 'Laptop', date)` → `report.final (conflict from Laptop 2026-11-23).pdf`.
 * If that name is taken (`isTaken`), ` 2`, ` 3`… follow the parenthesis.
 */
export function conflictCopyName(name: string, device: string, date: Date | number, options: ConflictNameOptions = {}): string {
  const { stem, ext } = splitExtension(name);
  const label = `(conflict from ${sanitizeDeviceName(device)} ${calendarDate(date, options.timeZone)})`;
  for (let n = 1; n <= 100_000; n++) {
    const rest = ` ${label}${n === 1 ? '' : ` ${n}`}${ext}`;
    const candidate = `${fit(stem, rest)}${rest}`;
    if (!options.isTaken?.(candidate)) return candidate;
  }
  throw new Error(`no free conflict name for ${name}`);
}
