import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalChange } from '../adapters/adapter.js';
import { LocalStore, stateFilePath } from './local-store.js';
import { Outbox, SET_ASIDE_AFTER } from './outbox.js';

const note = (id: string, text: string): LocalChange => ({
  kind: 'put',
  zone: 'notes',
  id,
  path: `Notes/${id}.txt`,
  data: { text },
  blobs: [],
  localSize: text.length,
  localMtimeMs: 1000,
  localHash: `h-${text}`,
});

describe('outbox', () => {
  let home: string;
  let store: LocalStore;
  let outbox: Outbox;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'nimbus-outbox-'));
    store = new LocalStore(stateFilePath(home));
    outbox = new Outbox(store);
  });
  afterEach(async () => {
    store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('is durable: an enqueued op is there after the store is reopened from disk', () => {
    store.tx(() => outbox.enqueue(note('a', 'hello'), 0, 1));
    store.close();
    store = new LocalStore(stateFilePath(home));
    outbox = new Outbox(store);
    const [op] = outbox.all();
    expect(op).toMatchObject({ zone: 'notes', id: 'a', kind: 'put', baseVersion: 0, data: { text: 'hello' }, lane: 'essential', sent: false });
    expect(op?.opId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('coalesces: a newer op replaces an unsent one, but a sent one stays and the newer runs after it', () => {
    store.tx(() => outbox.enqueue(note('a', 'v1'), 0, 1));
    store.tx(() => outbox.enqueue(note('a', 'v2'), 0, 2));
    expect(outbox.all().map((o) => o.data?.['text'])).toEqual(['v2']);
    outbox.markSent(outbox.all().map((o) => o.seq));
    store.tx(() => outbox.enqueue(note('a', 'v3'), 0, 3));
    expect(outbox.all().map((o) => o.data?.['text'])).toEqual(['v2', 'v3']);
    // One op per record per batch: v3 waits for v2's new version, then is rebased on it.
    const batch = outbox.nextBatch('essential', 10);
    expect(batch.items.map((o) => o.data?.['text'])).toEqual(['v2']);
    store.tx(() => {
      outbox.remove(batch.items[0]!.seq);
      outbox.rebase('notes', 'a', 7);
    });
    expect(outbox.nextBatch('essential', 10).items.map((o) => [o.data?.['text'], o.baseVersion])).toEqual([['v3', 7]]);
  });

  it('a delete drops what is unsent of the record in every lane', () => {
    const photo: LocalChange = { ...note('p', 'x'), zone: 'photos', path: 'Photos/p.jpg', blobs: [{ sha256: 'a'.repeat(64), size: 3, file: '/tmp/p' }] };
    store.tx(() => outbox.enqueue(photo, 0, 1));
    expect(outbox.all().map((o) => [o.lane, o.blobs.length])).toEqual([
      ['photo-metadata', 0],
      ['photo-originals', 1],
    ]);
    // The original waits behind its metadata record.
    expect(outbox.nextBatch('photo-originals', 10).items).toEqual([]);
    expect(outbox.pendingByService().get('photos')).toBe(1);
    store.tx(() => outbox.enqueue({ kind: 'delete', zone: 'photos', id: 'p', path: 'Photos/p.jpg' }, 0, 2));
    expect(outbox.all().map((o) => [o.lane, o.kind])).toEqual([['photo-metadata', 'delete']]);
  });

  it('sets an item aside after failing the same way repeatedly, without blocking the rest', () => {
    store.tx(() => {
      outbox.enqueue(note('bad', 'x'), 0, 1);
      outbox.enqueue(note('good', 'y'), 0, 1);
    });
    const bad = outbox.all()[0]!;
    for (let i = 1; i < SET_ASIDE_AFTER; i++) expect(outbox.fail(bad.seq, 'BAD_REQUEST: nope')).toBe(false);
    expect(outbox.fail(bad.seq, 'BAD_REQUEST: nope')).toBe(true);
    expect(outbox.setAsideItems()).toEqual([{ service: 'notes', id: 'bad', path: 'Notes/bad.txt', reason: 'BAD_REQUEST: nope' }]);
    expect(outbox.nextBatch('essential', 10).items.map((o) => o.id)).toEqual(['good']);
    expect(outbox.pendingByService().get('notes')).toBe(1);
    // A new change of the set-aside item gives it a fresh start.
    store.tx(() => outbox.enqueue(note('bad', 'fixed'), 0, 2));
    expect(outbox.setAsideItems()).toEqual([]);
  });

  it('a different failure restarts the count', () => {
    store.tx(() => outbox.enqueue(note('a', 'x'), 0, 1));
    const seq = outbox.all()[0]!.seq;
    for (let i = 0; i < 10; i++) expect(outbox.fail(seq, i % 2 === 0 ? 'one' : 'two')).toBe(false);
  });

  it('nextBatch pages with a cursor', () => {
    store.tx(() => {
      for (let i = 0; i < 5; i++) outbox.enqueue(note(`n${i}`, 'x'), 0, 1);
    });
    const first = outbox.nextBatch('essential', 2);
    expect(first.items.map((o) => o.id)).toEqual(['n0', 'n1']);
    expect(first.haveMore).toBe(true);
    const second = outbox.nextBatch('essential', 2, first.cursor);
    expect(second.items.map((o) => o.id)).toEqual(['n2', 'n3']);
  });
});
