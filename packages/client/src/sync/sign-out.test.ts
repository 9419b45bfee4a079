import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdapters } from '../adapters/index-of-adapters.js';
import { LocalStore } from '../store/local-store.js';
import { Outbox } from '../store/outbox.js';
import { feedTokenKey } from './pull.js';
import { recoveryStamp } from './recovery-folder.js';
import { leaveServices, recordSignedOut, unsentBeforeSignOut } from './sign-out.js';
import { STATUS_META_KEY } from './status-keeper.js';
import { describeUnsent } from './unsent-changes.js';

describe('signing out with some services kept', () => {
  let root: string;
  let library: string;
  let store: LocalStore;
  const adapters = createAdapters('laptop');
  const at = new Date(2026, 10, 24, 9, 5, 7);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-sign-out-'));
    library = join(root, 'library');
    for (const folder of ['Contacts', 'Notes', 'Photos', 'Drive']) await mkdir(join(library, folder), { recursive: true });
    store = new LocalStore(join(root, 'state.sqlite'));
    for (const zone of ['notes', 'drive'] as const) store.setMeta(feedTokenKey(zone), 'token-1');
  });
  afterEach(async () => {
    store.close();
    await rm(root, { recursive: true, force: true });
  });

  const write = async (rel: string, text: string): Promise<void> => {
    await mkdir(dirname(join(library, rel)), { recursive: true });
    await writeFile(join(library, rel), text);
  };
  /** A file as a pass leaves it: on disk and in the mirror, version 1 on the server. */
  const synced = async (zone: 'notes' | 'drive', id: string, rel: string, text: string): Promise<void> => {
    await write(rel, text);
    const s = await stat(join(library, rel));
    const sha = createHash('sha256').update(text).digest('hex');
    const path = rel.slice(rel.indexOf('/') + 1);
    const data = zone === 'notes' ? { path, text } : { path, kind: 'file', size: s.size, sha256: sha };
    store.putMirror({ zone, id, version: 1, data, blobs: zone === 'drive' ? [sha] : [], path: rel, localSize: s.size, localMtimeMs: Math.round(s.mtimeMs), localHash: sha });
  };
  const files = async (folder: string): Promise<string[]> => (await readdir(join(library, folder), { recursive: true })).map(String).sort();

  it('counts queued changes and edits no pass has seen yet, once per record', async () => {
    await synced('notes', 'n1', 'Notes/plan.md', 'plan\n');
    await synced('drive', 'd1', 'Drive/report.txt', 'v1\n');
    await write('Notes/plan.md', 'plan, edited offline\n');
    await write('Drive/new.txt', 'new\n');
    new Outbox(store).enqueue({ kind: 'delete', zone: 'drive', id: 'd1', path: 'Drive/report.txt' }, 1, 0);

    const unsent = await unsentBeforeSignOut(store, adapters, library);
    expect(unsent.map((c) => [c.service, c.kind, c.from]).sort()).toEqual([
      ['drive', 'delete', 'outbox'],
      ['drive', 'put', 'disk'],
      ['notes', 'put', 'disk'],
    ]);
    expect(describeUnsent(unsent)).toBe('3 changes not yet sent (1 note, 2 Drive files)');
  });

  it('a folder never synced here is not compared: its files are the library\'s own', async () => {
    await write('Contacts/someone.vcf', 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:X\r\nEND:VCARD\r\n');
    expect(await unsentBeforeSignOut(store, adapters, library)).toEqual([]);
  });

  it('services not kept leave: synced files removed, unsent ones moved to Recovered/, their state dropped; kept ones untouched', async () => {
    await synced('notes', 'n1', 'Notes/plan.md', 'plan\n');
    await synced('drive', 'd1', 'Drive/report.txt', 'v1\n');
    await synced('drive', 'd2', 'Drive/sub/deep.txt', 'deep\n');
    await synced('drive', 'd3', 'Drive/gone.txt', 'gone\n');
    await write('Drive/report.txt', 'v2, edited offline\n');
    await write('Drive/sub/new.txt', 'new here\n');
    await write('Drive/.DS_Store', 'litter');
    await write('Notes/plan.md', 'plan, kept edit\n');
    await rm(join(library, 'Drive/gone.txt'));
    const outbox = new Outbox(store);
    outbox.enqueue({ kind: 'delete', zone: 'drive', id: 'd3', path: 'Drive/gone.txt' }, 1, 0);
    store.setMeta(STATUS_META_KEY, JSON.stringify({ pending: { drive: 1, notes: 1 }, services: { drive: { pending: 1, setAside: [] } } }));

    const unsent = await unsentBeforeSignOut(store, adapters, library);
    const left = await leaveServices({ store, libraryRoot: library, adapters, leave: ['photos', 'drive', 'backups'], unsent, now: () => at.getTime() });

    const recovered = join(library, 'Recovered', recoveryStamp(at));
    expect(left).toMatchObject({ recoveredTo: recovered, recovered: 2, removed: { drive: 1 }, untouched: ['photos'] });
    expect(await files('Drive')).toEqual([]);
    expect(await readFile(join(recovered, 'Drive/report.txt'), 'utf8')).toBe('v2, edited offline\n');
    expect(await readFile(join(recovered, 'Drive/sub/new.txt'), 'utf8')).toBe('new here\n');
    const readme = await readFile(join(recovered, 'README.txt'), 'utf8');
    expect(readme).toContain('Drive/report.txt: edited here, not yet sent');
    expect(readme).toContain('Drive/sub/new.txt: new here, not yet sent');
    expect(readme).toContain('Drive/gone.txt: deleted on this device, not yet on the server');

    // Drive starts afresh at the next sign-in; Notes keeps its base and its edit.
    expect(store.mirrorZone('drive').size).toBe(0);
    expect(outbox.all()).toEqual([]);
    expect(store.getMeta(feedTokenKey('drive'))).toBeUndefined();
    expect(store.getMeta(feedTokenKey('notes'))).toBe('token-1');
    expect(store.getMirror('notes', 'n1')?.data).toEqual({ path: 'plan.md', text: 'plan\n' });
    expect(await readFile(join(library, 'Notes/plan.md'), 'utf8')).toBe('plan, kept edit\n');
    expect(JSON.parse(store.getMeta(STATUS_META_KEY) ?? '{}')).toMatchObject({ pending: { drive: 0, notes: 1 }, services: { drive: { pending: 0 } } });
  });

  it('a queued edit whose file moved away is recovered from the queue; a second sign-out in the same second gets its own folder', async () => {
    await synced('notes', 'n1', 'Notes/a.md', 'a\n');
    const outbox = new Outbox(store);
    outbox.enqueue({ kind: 'put', zone: 'notes', id: 'n1', path: 'Notes/a.md', data: { path: 'a.md', text: 'queued text\n' }, blobs: [], localSize: 12, localMtimeMs: 1, localHash: 'x' }, 1, 0);
    await rm(join(library, 'Notes/a.md'));
    await mkdir(join(library, 'Recovered', recoveryStamp(at)), { recursive: true });

    const unsent = await unsentBeforeSignOut(store, adapters, library);
    const left = await leaveServices({ store, libraryRoot: library, adapters, leave: ['notes'], unsent, now: () => at.getTime() });
    expect(left.recoveredTo).toBe(join(library, 'Recovered', `${recoveryStamp(at)} (2)`));
    expect(await readFile(join(left.recoveredTo ?? '', 'Notes/a.md'), 'utf8')).toBe('queued text\n');
  });

  it('the stored status becomes "signed out", keeping the pending counts', () => {
    store.setMeta(STATUS_META_KEY, JSON.stringify({ state: 'paused', failure: { cause: 'NETWORK_OFFLINE' }, pausedSince: 1, nextAttemptAt: 2, pending: { notes: 2 }, stalled: true }));
    recordSignedOut(store);
    expect(JSON.parse(store.getMeta(STATUS_META_KEY) ?? '{}')).toEqual({ state: 'signed_out', failure: null, pending: { notes: 2 }, stalled: false });
  });

  it('a service switched off here is left as it is', async () => {
    await synced('drive', 'd1', 'Drive/report.txt', 'v1\n');
    store.setServiceSettings('drive', { enabled: false });
    const left = await leaveServices({ store, libraryRoot: library, adapters, leave: ['drive'], unsent: [], now: () => at.getTime() });
    expect(left).toMatchObject({ recoveredTo: undefined, untouched: ['drive'] });
    expect(await files('Drive')).toEqual(['report.txt']);
    expect(store.mirrorZone('drive').size).toBe(1);
  });
});
