import { describe, expect, it } from 'vitest';
import { getProp, newCard, setName, setProp } from './vcard';

const card = ['BEGIN:VCARD', 'VERSION:4.0', 'UID:abc', 'FN:Ada Lovelace', 'N:Lovelace;Ada;;;', 'item1.EMAIL;TYPE=work:ada@example.org', 'NOTE:first line\\nsecond\\, with comma', 'END:VCARD', ''].join('\r\n');

describe('vcard (the Contacts page)', () => {
  it('reads the first value of a property, unescaped, folded lines joined', () => {
    expect(getProp(card, 'FN')).toBe('Ada Lovelace');
    expect(getProp(card, 'EMAIL')).toBe('ada@example.org');
    expect(getProp(card, 'NOTE')).toBe('first line\nsecond, with comma');
    expect(getProp('BEGIN:VCARD\r\nFN:Ada\r\n  Byron\r\nEND:VCARD\r\n', 'FN')).toBe('Ada Byron');
    expect(getProp(card, 'TEL')).toBe('');
  });

  it('replaces a value keeping its parameters and every other line', () => {
    const edited = setProp(card, 'EMAIL', 'countess@example.org');
    expect(edited).toContain('item1.EMAIL;TYPE=work:countess@example.org\r\n');
    expect(edited).toContain('NOTE:first line\\nsecond\\, with comma\r\n');
    expect(edited.split('\r\n')).toHaveLength(card.split('\r\n').length);
  });

  it('adds a missing property before END:VCARD and drops one set to empty', () => {
    const added = setProp(card, 'TEL', '+44 20 1234; ext 5');
    expect(added).toMatch(/TEL:\+44 20 1234\\; ext 5\r\nEND:VCARD\r\n$/);
    expect(getProp(added, 'TEL')).toBe('+44 20 1234; ext 5');
    expect(setProp(card, 'EMAIL', '  ')).not.toContain('EMAIL');
  });

  it('sets FN and N together; a new card is a valid one-card vCard with its UID', () => {
    const renamed = setName(card, 'Augusta Ada King');
    expect(getProp(renamed, 'FN')).toBe('Augusta Ada King');
    expect(renamed).toContain('\r\nN:King;Augusta Ada;;;\r\n');
    const fresh = newCard('id-1', 'Grace Hopper');
    expect(fresh.startsWith('BEGIN:VCARD\r\nVERSION:3.0\r\nUID:id-1\r\n')).toBe(true);
    expect(fresh.endsWith('END:VCARD\r\n')).toBe(true);
    expect(getProp(fresh, 'FN')).toBe('Grace Hopper');
    expect(fresh.match(/BEGIN:VCARD/g)).toHaveLength(1);
  });
});
