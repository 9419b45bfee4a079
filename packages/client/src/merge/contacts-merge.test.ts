import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeVCards, parseVCard, VCardParseError } from './contacts-merge.js';

const card = (...lines: string[]): string => ['BEGIN:VCARD', ...lines, 'END:VCARD', ''].join('\r\n');

/** Property lines of a card, unfolded, without BEGIN/END, for readable asserts. */
const propsOf = (text: string): string[] =>
  text.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l !== '' && !/^(BEGIN|END):VCARD$/.test(l));

// A vCard 3.0 as Apple and Android write it: folded long line, TYPE lists, non-ASCII name.
const BASE3 = card(
  'VERSION:3.0',
  'PRODID:-//Apple Inc.//iPhone OS 17.0//EN',
  'N:Müller;Jörg;;;',
  'FN:Jörg Müller',
  'ORG:Bäckerei Müller',
  'TEL;TYPE=CELL,VOICE:+49 170 1234567',
  'EMAIL;TYPE=INTERNET,HOME:jorg@example.de',
  'ADR;TYPE=HOME:;;Hauptstraße 1;Berlin;;10115;Deutschland',
  'NOTE:Met at the bakery fair in Köln. Prefers calls after six; allergic to nu',
  ' ts. Call before ordering the birthday cake!',
  'BDAY:1980-05-06',
  'UID:3c7b6a2e-1111-4e5f-9a8b-000000000001',
  'REV:2026-01-01T10:00:00Z',
);

describe('parseVCard', () => {
  it('reads vCard 3.0 with folded lines and non-ASCII text', () => {
    const c = parseVCard(BASE3);
    expect(c.version).toBe('3.0');
    expect(c.props.find((p) => p[0] === 'fn')?.[3]).toBe('Jörg Müller');
    expect(c.props.find((p) => p[0] === 'note')?.[3]).toContain('allergic to nuts.');
  });

  it('refuses what is not a vCard', () => {
    expect(() => parseVCard('hello')).toThrow(VCardParseError);
    expect(() => parseVCard('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')).toThrow(VCardParseError);
  });
});

describe('mergeVCards', () => {
  it('edits of different properties on each side both land (vCard 3.0)', () => {
    const ours = BASE3.replace('TEL;TYPE=CELL,VOICE:+49 170 1234567', 'TEL;TYPE=CELL,VOICE:+49 170 7654321');
    const theirs = BASE3.replace('ORG:Bäckerei Müller', 'ORG:Konditorei Müller').replace('BDAY:1980-05-06', 'BDAY:1980-05-07');
    const { text, conflicts } = mergeVCards(BASE3, ours, theirs, { now: Date.UTC(2026, 10, 23, 9, 30) });
    expect(conflicts).toEqual([]);
    const props = propsOf(text);
    expect(props[0]).toBe('VERSION:3.0');
    expect(props).toContain('TEL;TYPE=CELL,VOICE:+49 170 7654321');
    expect(props).not.toContain('TEL;TYPE=CELL,VOICE:+49 170 1234567');
    expect(props).toContain('ORG:Konditorei Müller');
    expect(props.some((p) => p.startsWith('BDAY') && p.includes('0507'))).toBe(true);
    expect(props).toContain('UID:3c7b6a2e-1111-4e5f-9a8b-000000000001');
    expect(props.find((p) => p.startsWith('REV'))?.replace(/\D/g, '')).toBe('20261123093000');
    expect(parseVCard(text).props.find((p) => p[0] === 'note')?.[3]).toContain('allergic to nuts.');
    expect(text.split('\r\n').every((line) => line.length <= 75)).toBe(true); // folded again
    expect(text.endsWith('END:VCARD\r\n')).toBe(true);
  });

  it('the same single-valued property changed on both sides: ours wins and it is reported', () => {
    const ours = BASE3.replace('FN:Jörg Müller', 'FN:Jörg A. Müller');
    const theirs = BASE3.replace('FN:Jörg Müller', 'FN:Jörg Mueller');
    const { text, conflicts } = mergeVCards(BASE3, ours, theirs);
    expect(propsOf(text)).toContain('FN:Jörg A. Müller');
    expect(conflicts).toEqual(['FN']);
  });

  it('lists changed on both sides keep both sides (TEL, EMAIL)', () => {
    const ours = BASE3.replace('EMAIL;TYPE=INTERNET,HOME:jorg@example.de', 'EMAIL;TYPE=INTERNET,HOME:jorg@example.de\r\nEMAIL;TYPE=INTERNET,WORK:j.mueller@work.example');
    const theirs = BASE3.replace('TEL;TYPE=CELL,VOICE:+49 170 1234567', 'TEL;TYPE=CELL,VOICE:+49 170 0000000').replace(
      'EMAIL;TYPE=INTERNET,HOME:jorg@example.de',
      'EMAIL;TYPE=INTERNET,HOME:jorg@example.de\r\nEMAIL;TYPE=INTERNET,OTHER:joerg@elsewhere.example',
    );
    const props = propsOf(mergeVCards(BASE3, ours, theirs).text);
    expect(props.filter((p) => p.startsWith('EMAIL'))).toEqual([
      'EMAIL;TYPE=INTERNET,HOME:jorg@example.de',
      'EMAIL;TYPE=INTERNET,WORK:j.mueller@work.example',
      'EMAIL;TYPE=INTERNET,OTHER:joerg@elsewhere.example',
    ]);
    expect(props.filter((p) => p.startsWith('TEL'))).toEqual(['TEL;TYPE=CELL,VOICE:+49 170 0000000']);
  });

  it('both changed the same phone number differently: both numbers are kept', () => {
    const ours = BASE3.replace('+49 170 1234567', '+49 170 1111111');
    const theirs = BASE3.replace('+49 170 1234567', '+49 170 2222222');
    const { text, conflicts } = mergeVCards(BASE3, ours, theirs);
    expect(propsOf(text).filter((p) => p.startsWith('TEL'))).toEqual(['TEL;TYPE=CELL,VOICE:+49 170 1111111', 'TEL;TYPE=CELL,VOICE:+49 170 2222222']);
    expect(conflicts).toEqual(['TEL']);
  });

  it('a delete on one side goes through; a delete against an edit keeps the edit', () => {
    const ours = BASE3.replace('ORG:Bäckerei Müller\r\n', '').replace('BDAY:1980-05-06\r\n', '');
    const theirs = BASE3.replace('BDAY:1980-05-06', 'BDAY:1981-05-06');
    const props = propsOf(mergeVCards(BASE3, ours, theirs).text);
    expect(props.some((p) => p.startsWith('ORG'))).toBe(false);
    expect(props.some((p) => p.startsWith('BDAY') && p.includes('1981'))).toBe(true);
  });

  it('TYPE order and case do not make a change', () => {
    const theirs = BASE3.replace('TEL;TYPE=CELL,VOICE:', 'TEL;TYPE=voice;TYPE=cell:');
    const props = propsOf(mergeVCards(BASE3, BASE3, theirs).text);
    expect(props.filter((p) => p.startsWith('TEL'))).toHaveLength(1);
  });

  it('merges vCard 4.0 with non-Latin names and URIs', () => {
    const base = card('VERSION:4.0', 'FN:山田 太郎', 'N:山田;太郎;;;', 'TEL;VALUE=uri;TYPE="voice,home":tel:+81-3-1234-5678', 'UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1', 'REV:20260101T000000Z');
    const ours = base.replace('FN:山田 太郎', 'FN:山田 太郎 (やまだ たろう)');
    const theirs = base.replace('REV:20260101T000000Z', 'EMAIL:taro@example.jp\r\nREV:20260202T000000Z');
    const { text } = mergeVCards(base, ours, theirs);
    const props = propsOf(text);
    expect(props[0]).toBe('VERSION:4.0');
    expect(props).toContain('FN:山田 太郎 (やまだ たろう)');
    expect(props).toContain('EMAIL:taro@example.jp');
    expect(props.some((p) => p.startsWith('TEL') && p.includes('tel:+81-3-1234-5678'))).toBe(true);
    expect(props.find((p) => p.startsWith('REV'))).toBe('REV:20260202T000000Z'); // no `now`: the newer REV
    expect(parseVCard(text).props.find((p) => p[0] === 'fn')?.[3]).toBe('山田 太郎 (やまだ たろう)');
  });

  it('without a common base (first sign-in), lists unite and ours wins single values', () => {
    const ours = card('VERSION:3.0', 'FN:Ann Lee', 'N:Lee;Ann;;;', 'TEL:111', 'UID:u1');
    const theirs = card('VERSION:3.0', 'FN:Ann Lee-Smith', 'N:Lee;Ann;;;', 'TEL:222', 'UID:u1');
    const props = propsOf(mergeVCards(null, ours, theirs).text);
    expect(props).toContain('FN:Ann Lee');
    expect(props.filter((p) => p.startsWith('TEL'))).toEqual(['TEL:111', 'TEL:222']);
    expect(props.filter((p) => p.startsWith('UID'))).toEqual(['UID:u1']);
  });

  it('property: merge(b, x, b) keeps x\'s properties, merge(b, x, x) = merge(b, x, b), and the result always re-parses', () => {
    const tel = fc.constantFrom('TEL:111', 'TEL;TYPE=HOME:222', 'TEL;TYPE=WORK:333', 'EMAIL:a@example.org', 'EMAIL;TYPE=WORK:b@example.org');
    const single = fc.constantFrom('FN:Ann', 'FN:Änne Łukasz', 'ORG:Acme', 'ORG:Umbrella', 'NOTE:x\\, y', 'BDAY:1990-01-02', 'TITLE:Boss');
    const cardArb = fc.tuple(fc.uniqueArray(tel, { maxLength: 4 }), fc.uniqueArray(single, { maxLength: 3, selector: (l) => l.split(':')[0] })).map(
      ([multi, singles]) => card('VERSION:3.0', ...singles, ...multi, 'UID:same'),
    );
    const norm = (text: string) => propsOf(text).sort();
    fc.assert(
      fc.property(cardArb, cardArb, cardArb, (b, x, y) => {
        expect(norm(mergeVCards(b, x, b).text)).toEqual(norm(mergeVCards(x, x, x).text));
        expect(norm(mergeVCards(b, b, y).text)).toEqual(norm(mergeVCards(y, y, y).text));
        expect(norm(mergeVCards(b, x, x).text)).toEqual(norm(mergeVCards(x, x, x).text));
        const merged = mergeVCards(b, x, y).text;
        expect(() => parseVCard(merged)).not.toThrow();
        // Anything one side added to a list is in the result.
        const added = [...propsOf(x), ...propsOf(y)].filter((p) => /^(TEL|EMAIL)/.test(p) && !propsOf(b).includes(p));
        for (const p of added) expect(propsOf(merged)).toContain(p);
      }),
      { numRuns: 300 },
    );
  });
});
