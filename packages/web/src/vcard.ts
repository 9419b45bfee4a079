// Just enough vCard for the Contacts page: read and replace the name, first email and first phone, leaving every
// other line as the device wrote it (devices merge contacts property by property).
function unfold(text: string): string[] {
  return text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
}

const propName = (line: string): string => (line.split(/[:;]/, 1)[0] ?? '').replace(/^item\d+\./i, '').toUpperCase();

const unescape = (value: string): string => value.replace(/\\n/gi, '\n').replace(/\\([,;\\])/g, '$1');
const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/;/g, '\\;').replace(/\n/g, '\\n');

/** The first value of a property (FN, EMAIL, TEL), unescaped; '' when absent. */
export function getProp(card: string, name: string): string {
  const line = unfold(card).find((l) => propName(l) === name);
  if (line === undefined) return '';
  return unescape(line.slice(line.indexOf(':') + 1));
}

/** Sets the first value of a property (keeping its parameters), adds it before END:VCARD, or drops it when empty. */
export function setProp(card: string, name: string, value: string): string {
  const lines = unfold(card).filter((l) => l !== '');
  const at = lines.findIndex((l) => propName(l) === name);
  if (value.trim() === '') {
    if (at >= 0) lines.splice(at, 1);
  } else if (at >= 0) {
    const line = lines[at] ?? '';
    lines[at] = `${line.slice(0, line.indexOf(':'))}:${escape(value.trim())}`;
  } else {
    const end = lines.findIndex((l) => l.toUpperCase() === 'END:VCARD');
    lines.splice(end < 0 ? lines.length : end, 0, `${name}:${escape(value.trim())}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A display name also sets N (family;given), which some address books show instead of FN. */
export function setName(card: string, fullName: string): string {
  const parts = fullName.trim().split(/\s+/);
  const family = parts.length > 1 ? (parts.pop() ?? '') : '';
  const n = `${escape(family)};${escape(parts.join(' '))};;;`;
  const withFn = setProp(card, 'FN', fullName);
  const lines = withFn.trimEnd().split('\r\n');
  const at = lines.findIndex((l) => propName(l) === 'N');
  if (at >= 0) lines[at] = `N:${n}`;
  else lines.splice(Math.max(1, lines.findIndex((l) => propName(l) === 'FN')), 0, `N:${n}`);
  return `${lines.join('\r\n')}\r\n`;
}

export function newCard(uid: string, fullName: string): string {
  return setName(`BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:x\r\nEND:VCARD\r\n`, fullName);
}
