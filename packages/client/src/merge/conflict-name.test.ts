import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarDate, conflictCopyName, DEVICE_NAME_MAX, sanitizeDeviceName, splitExtension } from './conflict-name.js';

const DATE = Date.UTC(2026, 10, 23, 12, 0);
const utc = { timeZone: 'UTC' };

describe('conflictCopyName', () => {
  it('puts the label before the last extension', () => {
    expect(conflictCopyName('report.final.pdf', 'Laptop', DATE, utc)).toBe('report.final (conflict from Laptop 2026-11-23).pdf');
    expect(conflictCopyName('README', 'Laptop', DATE, utc)).toBe('README (conflict from Laptop 2026-11-23)');
    expect(conflictCopyName('.bashrc', 'Laptop', DATE, utc)).toBe('.bashrc (conflict from Laptop 2026-11-23)');
    expect(conflictCopyName('.config.json', 'Laptop', DATE, utc)).toBe('.config (conflict from Laptop 2026-11-23).json');
    expect(conflictCopyName('backup.tar.gz', 'Laptop', DATE, utc)).toBe('backup (conflict from Laptop 2026-11-23).tar.gz');
    expect(conflictCopyName('odd.', 'Laptop', DATE, utc)).toBe('odd. (conflict from Laptop 2026-11-23)');
    expect(conflictCopyName('Résumé – été.docx', 'Téléphone', new Date(DATE), utc)).toBe('Résumé – été (conflict from Téléphone 2026-11-23).docx');
  });

  it('uses the calendar date of the given time zone', () => {
    expect(calendarDate(Date.UTC(2026, 10, 23, 23, 30), 'UTC')).toBe('2026-11-23');
    expect(calendarDate(Date.UTC(2026, 10, 23, 23, 30), 'Asia/Tokyo')).toBe('2026-11-24');
  });

  it('adds " 2", " 3" while the name is taken', () => {
    const taken = new Set(['a (conflict from Laptop 2026-11-23).txt', 'a (conflict from Laptop 2026-11-23) 2.txt']);
    expect(conflictCopyName('a.txt', 'Laptop', DATE, { ...utc, isTaken: (n) => taken.has(n) })).toBe('a (conflict from Laptop 2026-11-23) 3.txt');
  });

  it('sanitizes hostile device names', () => {
    expect(sanitizeDeviceName('../../etc/passwd')).toBe('etc-passwd');
    expect(sanitizeDeviceName('a\\b:c*d?e"f<g>h|i')).toBe('a-b-c-d-e-f-g-h-i');
    expect(sanitizeDeviceName('evil\u202Efdp.exe')).toBe('evilfdp.exe');
    expect(sanitizeDeviceName('line\nbreak\ttab\u0000nul')).toBe('line break tab nul');
    expect(sanitizeDeviceName('   ')).toBe('another device');
    expect(sanitizeDeviceName('...')).toBe('another device');
    expect(sanitizeDeviceName('x'.repeat(500))).toHaveLength(DEVICE_NAME_MAX);
    expect(sanitizeDeviceName('😀'.repeat(100))).toBe('😀'.repeat(DEVICE_NAME_MAX));
  });

  it('keeps the whole name within 255 bytes', () => {
    const long = `${'ü'.repeat(200)}.pdf`;
    const name = conflictCopyName(long, 'Laptop', DATE, utc);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(255);
    expect(name.endsWith(' (conflict from Laptop 2026-11-23).pdf')).toBe(true);
  });

  it('property: the copy is a safe single path segment that differs from the original and keeps its extension', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }).filter((s) => !s.includes('/') && !s.includes('\\') && !s.includes('\u0000')), fc.string({ unit: 'grapheme', maxLength: 80 }), (name, device) => {
        const copy = conflictCopyName(name, device, DATE, utc);
        expect(copy).not.toBe(name);
        expect(copy).not.toMatch(/[/\\\p{Cc}]/u);
        expect(new TextEncoder().encode(copy).length).toBeLessThanOrEqual(255);
        expect(copy.endsWith(splitExtension(name).ext)).toBe(true);
        expect(copy).toContain('(conflict from ');
      }),
    );
  });
});
