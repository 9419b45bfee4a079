import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItemError, type LocalChange } from './adapter.js';
import { createContactsAdapter } from './contacts.js';
import { commit, noBlobs, put, record, tempLibrary } from './testing/kit.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const contacts = createContactsAdapter('Laptop', () => NOW);
const card = (...lines: string[]): string => ['BEGIN:VCARD', 'VERSION:3.0', ...lines, 'END:VCARD', ''].join('\r\n');
const ANN = card('FN:Ann Lee', 'N:Lee;Ann;;;', 'TEL:111', 'ORG:Acme', 'UID:ann-uid');
const puts = (changes: LocalChange[]) => changes.filter((c): c is LocalChange & { kind: 'put' } => c.kind === 'put');

describe('contacts scan', () => {
  it('uses the UID as id (else a uuid), follows renames and deletes, sets aside bad files', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Contacts/ann.vcf', ANN);
    await put(fs, 'Contacts/bob.vcf', card('FN:Bob', 'N:;Bob;;;'));
    await put(fs, 'Contacts/two.vcf', card('FN:A', 'UID:a') + card('FN:B', 'UID:b'));
    await put(fs, 'Contacts/junk.vcf', 'hello, not a card');
    await put(fs, 'Contacts/sub/ignored.vcf', ANN); // one folder level only
    const errors: ItemError[] = [];
    const first = await contacts.scan(new Map(), fs, { onItemError: (e) => errors.push(e) });
    expect(errors.map((e) => e.path).sort()).toEqual(['Contacts/junk.vcf', 'Contacts/two.vcf']);
    expect(errors.find((e) => e.path === 'Contacts/two.vcf')!.reason).toMatch(/2 contacts/);
    expect(puts(first).map((c) => c.id)).toContain('ann-uid');
    const bob = puts(first).find((c) => c.path === 'Contacts/bob.vcf')!;
    expect(bob.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(bob.data).toEqual({ name: 'bob.vcf', vcard: card('FN:Bob', 'N:;Bob;;;') });
    const mirror = commit(new Map(), first);
    expect(await contacts.scan(mirror, fs)).toEqual([]);

    await rename(join(fs.root, 'Contacts/ann.vcf'), join(fs.root, 'Contacts/Ann Lee.vcf'));
    await put(fs, 'Contacts/bob.vcf', card('FN:Bob', 'N:;Bob;;;', 'TEL:222'));
    const second = await contacts.scan(mirror, fs);
    expect(second).toHaveLength(2);
    expect(second).toContainEqual(expect.objectContaining({ kind: 'put', id: 'ann-uid', path: 'Contacts/Ann Lee.vcf' }));
    expect(second).toContainEqual(expect.objectContaining({ kind: 'put', id: bob.id }));
    commit(mirror, second);
    await import('node:fs/promises').then((f) => f.rm(join(fs.root, 'Contacts/bob.vcf')));
    expect(await contacts.scan(mirror, fs)).toEqual([{ kind: 'delete', zone: 'contacts', id: bob.id, path: 'Contacts/bob.vcf' }]);
  });

  it('a second file with the same UID gets its own id', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Contacts/a.vcf', ANN);
    await put(fs, 'Contacts/b.vcf', ANN.replace('TEL:111', 'TEL:999'));
    const ids = puts(await contacts.scan(new Map(), fs)).map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
    expect(ids).toContain('ann-uid');
  });
});

describe('contacts apply and conflicts', () => {
  async function synced() {
    const fs = await tempLibrary();
    await put(fs, 'Contacts/ann.vcf', ANN);
    const mirror = commit(new Map(), await contacts.scan(new Map(), fs));
    return { fs, mirror };
  }

  it('merges a remote edit with a local edit of another property', async () => {
    const { fs, mirror } = await synced();
    await put(fs, 'Contacts/ann.vcf', ANN.replace('TEL:111', 'TEL:333'), NOW);
    const theirs = ANN.replace('ORG:Acme', 'ORG:Umbrella');
    const r = await contacts.apply(record('contacts', 'ann-uid', 2, { name: 'ann.vcf', vcard: theirs }), mirror.get('ann-uid'), fs, noBlobs);
    const text = await readFile(join(fs.root, 'Contacts/ann.vcf'), 'utf8');
    expect(text).toContain('TEL:333');
    expect(text).toContain('ORG:Umbrella');
    expect(text).not.toContain('TEL:111');
    expect(r.followUps).toEqual([expect.objectContaining({ kind: 'put', id: 'ann-uid', data: { name: 'ann.vcf', vcard: text } })]);
  });

  it('resolveConflict merges different properties and writes the card', async () => {
    const { fs, mirror } = await synced();
    await put(fs, 'Contacts/ann.vcf', ANN.replace('FN:Ann Lee', 'FN:Ann B. Lee'), NOW);
    const [ours] = puts(await contacts.scan(mirror, fs));
    const theirs = ANN.replace('TEL:111', 'TEL:111\r\nEMAIL:ann@example.org');
    const { write } = await contacts.resolveConflict(ours!, record('contacts', 'ann-uid', 3, { name: 'ann.vcf', vcard: theirs }), mirror.get('ann-uid'), fs);
    const text = await readFile(join(fs.root, 'Contacts/ann.vcf'), 'utf8');
    expect(text).toContain('FN:Ann B. Lee');
    expect(text).toContain('EMAIL:ann@example.org');
    expect(write).toMatchObject({ kind: 'put', id: 'ann-uid', data: { name: 'ann.vcf', vcard: text } });
  });

  it('refuses a hostile file name from the server', async () => {
    const fs = await tempLibrary();
    for (const name of ['../evil.vcf', 'sub/evil.vcf', '/tmp/evil.vcf', 'evil.sh']) {
      await expect(contacts.apply(record('contacts', 'x', 1, { name, vcard: ANN }), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
    }
    expect(await readdir(fs.root)).toEqual([]);
  });
});
