import { describe, expect, it } from 'vitest';
import { createAdapters } from './index-of-adapters.js';

describe('createAdapters', () => {
  it('gives one adapter per library folder, each in its own zone', () => {
    const adapters = createAdapters('Laptop');
    expect(adapters.map((a) => [a.service, a.zone, a.folder])).toEqual([
      ['contacts', 'contacts', 'Contacts'],
      ['notes', 'notes', 'Notes'],
      ['photos', 'photos', 'Photos'],
      ['drive', 'drive', 'Drive'],
    ]);
  });
});
