import type { NimbusRecord } from '@nimbus/protocol';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceAdapter } from '../adapters/adapter.js';
import { createDriveAdapter } from '../adapters/drive.js';
import { createNotesAdapter } from '../adapters/notes.js';
import { ApiClient } from '../api-client.js';
import { writeSession } from '../session-file.js';
import { LocalStore, stateFilePath } from '../store/local-store.js';
import { StagedMirror } from '../store/staged-mirror.js';
import { fakeClock, PASSWORD, startServer, type LiveServer } from '../testing/engine-harness.js';
import { sessionConnector } from './open-engine.js';
import type { SyncTransport } from './ports.js';
import { SyncEngine } from './sync-engine.js';

let live: LiveServer;
const stores: LocalStore[] = [];
let n = 0;

beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await live.close();
});

/** A device with the real Notes and Drive adapters (they write through the page's batch). */
async function device(
  email: string,
  wrapNotes?: (a: ServiceAdapter) => ServiceAdapter,
  options: { feedPageSize?: number; wrapTransport?: (t: SyncTransport) => SyncTransport } = {},
) {
  const home = await mkdtemp(join(tmpdir(), 'nimbus-home-'));
  const library = await mkdtemp(join(tmpdir(), 'nimbus-lib-'));
  for (const f of ['Notes', 'Drive']) await mkdir(join(library, f));
  const client = new ApiClient({ server: live.url });
  await client.login({ email, password: PASSWORD, deviceName: `dev${++n}` });
  await writeSession(home, { server: live.url, email, deviceName: 'test', tokens: client.session! });
  const store = new LocalStore(stateFilePath(home));
  stores.push(store);
  const clock = fakeClock();
  const notes = createNotesAdapter('test', clock.now);
  const engine = new SyncEngine({
    store,
    adapters: [wrapNotes ? wrapNotes(notes) : notes, createDriveAdapter('test', clock.now)],
    library: { root: library },
    downloadsDir: join(home, 'downloads'),
    now: clock.now,
    connect: async () => {
      const transport = await sessionConnector(home, clock.now)();
      return transport && options.wrapTransport ? options.wrapTransport(transport) : transport;
    },
    tuning: { chunkBytes: 64 * 1024, ...(options.feedPageSize ? { feedPageSize: options.feedPageSize } : {}) },
  });
  return { home, library, store, engine };
}

const allFiles = async (dir: string): Promise<string[]> => (await readdir(dir, { recursive: true })).map(String).sort();

describe('pull pages through a write batch', () => {
  it('a page that fails in the middle leaves no temp file and mirrors none of its unplaced files; the next pass places all', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await device(email);
    for (let i = 0; i < 40; i++) await writeFile(join(a.library, 'Notes', `n${i}.md`), `note ${i}\n`);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 40 });

    let fail = true;
    const b = await device(email, (notes) => ({
      service: notes.service,
      zone: notes.zone,
      folder: notes.folder,
      scan: (...args) => notes.scan(...args),
      resolveConflict: (...args) => notes.resolveConflict(...args),
      apply: (record: NimbusRecord, ...rest) => {
        // Not an item error (a full disk): the page stops.
        if (fail && record.data?.['path'] === 'n30.md') return Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
        return notes.apply(record, ...rest);
      },
    }));
    const first = await b.engine.runPass();
    expect(first.state).not.toBe('idle');
    const files = await allFiles(join(b.library, 'Notes'));
    expect(files.filter((f) => f.startsWith('.nimbus-tmp-'))).toEqual([]);
    // Every mirrored note is on disk with its synced size; no row names a file that was never placed.
    const rows = b.store.mirrorZone('notes');
    for (const row of rows.values()) {
      const text = await readFile(join(b.library, ...(row.path as string).split('/')), 'utf8');
      expect(Buffer.byteLength(text)).toBe(row.localSize);
    }
    expect(b.store.db.prepare('SELECT COUNT(*) AS c FROM mirror_staged').get()).toEqual({ c: 0 });

    fail = false;
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle' });
    const after = await allFiles(join(b.library, 'Notes'));
    expect(after).toHaveLength(40);
    expect(b.store.mirrorZone('notes').size).toBe(40);
    expect(await readFile(join(b.library, 'Notes', 'n30.md'), 'utf8')).toBe('note 30\n');
    // Nothing went up again from b: no duplicates.
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pulled: 0 });
  });

  it('pages are applied while the previous one is placed (new files by the worker thread); an edit the previous page is placing is waited for', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const writer = new ApiClient({ server: live.url });
    await writer.login({ email, password: PASSWORD, deviceName: 'writer' });
    const text = (version: number) => `# shared\n\nversion ${version} of the same line\n`;
    const v1 = (await writer.writeRecords([{ zone: 'notes', id: 'shared', baseVersion: 0, data: { path: 'shared.md', text: text(1) } }])).results[0];
    let pages = 0;
    const feed: { injected?: NimbusRecord } = {};
    const b = await device(email, undefined, {
      feedPageSize: 300,
      wrapTransport: (t) => {
        // The first page after b's first pass also carries the note's second version; the next page ends with its third.
        const changes: SyncTransport['changes'] = async (...args) => {
          const page = await t.changes(...args);
          if (!feed.injected || !args[0].zones?.includes('notes')) return page;
          return ++pages === 1 ? { ...page, changes: [feed.injected, ...page.changes] } : page;
        };
        return Object.assign(Object.create(t) as SyncTransport, { changes });
      },
    });
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pulled: 1 });
    const count = 598; // with the note's last version: two pages of 300 and 299
    await writer.writeRecords(Array.from({ length: count }, (_, i) => ({ zone: 'notes' as const, id: `note-${i}`, baseVersion: 0, data: { path: `f${i % 3}/n${i}.md`, text: `note ${i}\n` } })));
    const v2 = (await writer.writeRecords([{ zone: 'notes', id: 'shared', baseVersion: v1!.version!, data: { path: 'shared.md', text: text(2) } }])).results[0];
    feed.injected = await writer.getRecord('notes', 'shared');
    await writer.writeRecords([{ zone: 'notes', id: 'shared', baseVersion: v2!.version!, data: { path: 'shared.md', text: text(3) } }]);
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle' });
    expect(pages).toBe(2);
    // The third version, as is: no merge with the second one (as a stale mirror row would make it look like a local edit).
    expect(await readFile(join(b.library, 'Notes', 'shared.md'), 'utf8')).toBe(text(3));
    const files = await allFiles(join(b.library, 'Notes'));
    expect(files.filter((f) => f.endsWith('.md'))).toHaveLength(count + 1);
    const rows = b.store.mirrorZone('notes');
    expect(rows.size).toBe(count + 1);
    for (const row of rows.values()) {
      const s = await import('node:fs/promises').then((fs) => fs.stat(join(b.library, ...(row.path as string).split('/'))));
      expect({ size: s.size, mtimeMs: Math.round(s.mtimeMs) }).toEqual({ size: row.localSize, mtimeMs: row.localMtimeMs });
    }
    expect(b.store.db.prepare('SELECT COUNT(*) AS c FROM created_staged').get()).toEqual({ c: 0 });
    // Nothing to send back, nothing more to pull.
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pushed: 0, pulled: 0 });
  });

  it('pulls Drive files through the batch, and shows byte progress of the transfers', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await device(email);
    await mkdir(join(a.library, 'Drive', 'docs'));
    for (let i = 0; i < 12; i++) await writeFile(join(a.library, 'Drive', 'docs', `f${i}.bin`), Buffer.alloc(100_000 + i, i));
    const seen: number[] = [];
    a.engine.subscribe((s) => {
      if (s.progress?.bytesTotal !== undefined) seen.push(s.progress.bytesTotal);
    });
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 13 });
    expect(Math.max(...seen)).toBe(12 * 100_000 + 66);

    const b = await device(email);
    const done: number[] = [];
    b.engine.subscribe((s) => {
      if (s.progress?.bytesDone !== undefined) done.push(s.progress.bytesDone);
    });
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pulled: 13 });
    expect(Math.max(...done)).toBe(12 * 100_000 + 66);
    const names = await allFiles(join(b.library, 'Drive'));
    expect(names.filter((f) => f.includes('.nimbus-tmp-'))).toEqual([]);
    expect((await readFile(join(b.library, 'Drive', 'docs', 'f7.bin'))).equals(Buffer.alloc(100_007, 7))).toBe(true);
    expect(await readdir(join(b.home, 'downloads'))).toEqual([]);
  });

  it('after a crash between the renames and the mirror commit, placed files are mirrored, not taken for new ones', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await device(email);
    const journal = new StagedMirror(a.store);
    await writeFile(join(a.library, 'Notes', 'placed.md'), 'placed\n');
    const { mtimeMs } = await import('node:fs/promises').then((fs) => fs.stat(join(a.library, 'Notes', 'placed.md')));
    const row = (id: string, path: string, size: number, mtime: number) => ({
      zone: 'notes' as const, id, version: 3, deleted: false, data: { path: path.slice(6), text: 'placed\n' }, blobs: [], path, localSize: size, localMtimeMs: mtime, localHash: 'h',
    });
    journal.journal([row('p1', 'Notes/placed.md', 7, Math.round(mtimeMs)), row('p2', 'Notes/never.md', 7, 1)]);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 0 });
    expect(a.store.getMirror('notes', 'p1')).toMatchObject({ version: 3, path: 'Notes/placed.md' });
    expect(a.store.getMirror('notes', 'p2')).toBeUndefined();
    expect(a.store.db.prepare('SELECT COUNT(*) AS c FROM mirror_staged').get()).toEqual({ c: 0 });
  });
  it('after a crash while writing new files, the ones in place (whole or half) are removed and pulled again; an edited one stays', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await device(email);
    for (const name of ['whole', 'half', 'edited']) await writeFile(join(a.library, 'Notes', `${name}.md`), `the ${name} note\n`);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 3 });

    const b = await device(email);
    const { createHash } = await import('node:crypto');
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    // What a crash leaves: the page's new files journaled, some written (one cut short, one edited since), no mirror rows.
    const files = ['whole', 'half', 'edited'].map((name) => [`Notes/${name}.md`, Buffer.byteLength(`the ${name} note\n`), sha(`the ${name} note\n`)] as const);
    b.store.durableTx(() => new StagedMirror(b.store).journalNew(files));
    await writeFile(join(b.library, 'Notes', 'whole.md'), 'the whole note\n');
    await writeFile(join(b.library, 'Notes', 'half.md'), 'the ha');
    await writeFile(join(b.library, 'Notes', 'edited.md'), 'the edited note\nand more written here\n');
    const pass = await b.engine.runPass();
    // The edited file is the pulled note with more written (b's first pull adopts it): it goes up as that note's edit.
    expect(pass).toMatchObject({ state: 'idle', pushed: 1, pulled: 3 });
    expect(await readFile(join(b.library, 'Notes', 'whole.md'), 'utf8')).toBe('the whole note\n');
    expect(await readFile(join(b.library, 'Notes', 'half.md'), 'utf8')).toBe('the half note\n');
    expect(await readFile(join(b.library, 'Notes', 'edited.md'), 'utf8')).toBe('the edited note\nand more written here\n');
    expect((await readdir(join(b.library, 'Notes'))).sort()).toEqual(['edited.md', 'half.md', 'whole.md']);
    expect(b.store.db.prepare('SELECT COUNT(*) AS c FROM created_staged').get()).toEqual({ c: 0 });
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pulled: 1 });
    expect(await readFile(join(a.library, 'Notes', 'edited.md'), 'utf8')).toBe('the edited note\nand more written here\n');
  });

  it('a new file whose name is taken before the page is placed is applied again: the other file stays, the note takes a free name', async () => {
    const email = `batch${++n}@example.org`;
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await device(email);
    let library = '';
    const b = await device(email, (notes) => ({
      service: notes.service,
      zone: notes.zone,
      folder: notes.folder,
      scan: (...args) => notes.scan(...args),
      resolveConflict: (...args) => notes.resolveConflict(...args),
      apply: async (record: NimbusRecord, ...rest) => {
        const result = await notes.apply(record, ...rest);
        // Someone writes the same name after the note was staged, before the page's files are created.
        if (record.data?.['path'] === 'n2.md' && result.created) await writeFile(join(library, 'Notes', 'n2.md'), 'not the note\n');
        return result;
      },
    }));
    library = b.library;
    // b has synced before (its first pull would adopt a file already at an incoming name, not keep both).
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle' });
    for (let i = 0; i < 5; i++) await writeFile(join(a.library, 'Notes', `n${i}.md`), `note ${i}\n`);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 5 });
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pulled: 5 });
    expect(await readFile(join(b.library, 'Notes', 'n2.md'), 'utf8')).toBe('not the note\n');
    expect(await readFile(join(b.library, 'Notes', 'n2 2.md'), 'utf8')).toBe('note 2\n');
    expect(await readFile(join(b.library, 'Notes', 'n3.md'), 'utf8')).toBe('note 3\n');
    // Every mirrored note is on disk with its stat (the other n2.md was scanned as a new note by the next pass only).
    const rows = [...b.store.mirrorZone('notes').values()];
    expect(rows.map((r) => r.path).sort()).toEqual(['Notes/n0.md', 'Notes/n1.md', 'Notes/n2 2.md', 'Notes/n3.md', 'Notes/n4.md']);
    for (const row of rows) {
      const s = await import('node:fs/promises').then((fs) => fs.stat(join(b.library, ...(row.path as string).split('/'))));
      expect({ size: s.size, mtimeMs: Math.round(s.mtimeMs) }).toEqual({ size: row.localSize, mtimeMs: row.localMtimeMs });
    }
    expect(b.store.db.prepare('SELECT COUNT(*) AS c FROM created_staged').get()).toEqual({ c: 0 });
  });
});
