import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeTombstones } from '../../../server/src/records/tombstone-purge.js';
import { ApiClient, TransportError } from '../api-client.js';
import { readSession } from '../session-file.js';
import { bind, openDevice, PASSWORD, serverRecords, signUpDevice, type Device, type LiveServer, startServer } from '../testing/engine-harness.js';
import { readStoredStatus } from './status-keeper.js';

let live: LiveServer;
const devices: Device[] = [];
let n = 0;
const email = () => `faults${++n}@example.org`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
  await live.close();
});

async function setQuota(who: string, bytes: number): Promise<void> {
  await live.server.ctx.store.db.updateTable('accounts').set({ quota_bytes: bytes }).where('email', '=', who).execute();
}

describe('quota', () => {
  it('a full account pauses blob uploads (photos, drive) while notes sync; freeing space resumes by itself', async () => {
    const who = email();
    const a = await signUpDevice(live, who);
    devices.push(a);
    await setQuota(who, 1000);
    const big = randomBytes(20_000);
    await a.write('Drive/big.bin', big);
    await a.write('Notes/todo.txt', 'buy milk');
    const first = await a.engine.runPass();
    expect(first).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED', family: 'storage', quotaBytes: 1000 } });
    expect(first.failure?.affects).toEqual(expect.arrayContaining(['photos', 'drive']));
    expect(first.failure?.affects).not.toContain('notes');
    expect(a.engine.status()).toMatchObject({ state: 'paused', pending: { drive: 1, notes: 0 } });
    expect((await serverRecords(live, who, 'notes')).map((r) => r.data?.['text'])).toEqual(['buy milk']);
    expect(await serverRecords(live, who, 'drive')).toEqual([]);
    // Notes keep syncing while the pause lasts; the stored status says why for `nimbus status`.
    await a.write('Notes/more.txt', 'and bread');
    expect(await a.engine.runPass()).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED' } });
    expect(await serverRecords(live, who, 'notes')).toHaveLength(2);
    expect(readStoredStatus(a.home)).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED' } });
    // A retry that moves nothing never shows "syncing": the status names the cause for as long as it lasts.
    const seen: string[] = [];
    const off = a.engine.subscribe((status) => seen.push(status.state));
    expect(await a.engine.runPass()).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED' } });
    off();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain('syncing');

    await setQuota(who, 10_000_000);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null });
    expect(a.engine.status()).toMatchObject({ state: 'idle', pending: { drive: 0 } });
    const b = await openDevice(live, who);
    devices.push(b);
    await b.engine.runPass();
    expect(sha(await readFile(join(b.library, 'Drive/big.bin')))).toBe(sha(big));
  });
});

describe('auth', () => {
  it('a password change elsewhere pauses with AUTH_REVOKED, keeps the outbox, and a new login drains it once', async () => {
    const who = email();
    const a = await signUpDevice(live, who);
    const b = await openDevice(live, who);
    devices.push(a, b);
    await a.engine.runPass();
    await b.engine.runPass();
    const aSession = (await readSession(a.home))!;
    await new ApiClient({ server: live.url, session: aSession.tokens }).changePassword(PASSWORD, 'a brand new passphrase');

    await b.write('Notes/pending.txt', 'written while revoked');
    const paused = await b.engine.runPass();
    expect(paused).toMatchObject({ state: 'paused', failure: { cause: 'AUTH_REVOKED', family: 'auth', reason: 'PASSWORD_CHANGED' } });
    expect(b.engine.outbox.all()).toHaveLength(1);
    expect(await b.engine.runPass()).toMatchObject({ state: 'paused', failure: { reason: 'PASSWORD_CHANGED' } });
    expect(readStoredStatus(b.home)).toMatchObject({ state: 'paused', failure: { cause: 'AUTH_REVOKED' }, pending: { notes: 1 } });

    await b.login(who, 'a brand new passphrase');
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 1 });
    expect(b.engine.outbox.all()).toEqual([]);
    await b.engine.runPass();
    const records = await serverRecords(live, who, 'notes');
    expect(records).toEqual([expect.objectContaining({ version: 1, data: { path: 'pending.txt', text: 'written while revoked' } })]);
    await a.engine.runPass();
    expect(await a.read('Notes/pending.txt')).toBe('written while revoked');
  });
});

describe('change tokens', () => {
  it('410 CHANGE_TOKEN_EXPIRED resyncs from scratch: no duplicates, and records deleted meanwhile go', async () => {
    const who = email();
    const a = await signUpDevice(live, who);
    const b = await openDevice(live, who);
    devices.push(a, b);
    for (const name of ['n1', 'n2', 'n3']) await a.write(`Notes/${name}.txt`, name);
    await a.engine.runPass();
    await b.engine.runPass();
    await a.remove('Notes/n1.txt');
    await a.write('Notes/n4.txt', 'n4');
    await a.engine.runPass();
    expect(await purgeTombstones(live.server.ctx.store.db, Number.MAX_SAFE_INTEGER)).toBe(1);

    const outcome = await b.engine.runPass();
    expect(outcome).toMatchObject({ state: 'idle', pushed: 0 });
    expect(await b.list('Notes')).toEqual(['n2.txt', 'n3.txt', 'n4.txt']);
    const live3 = await serverRecords(live, who, 'notes');
    expect(live3.map((r) => [r.data?.['path'], r.version]).sort()).toEqual([
      ['n2.txt', 1],
      ['n3.txt', 1],
      ['n4.txt', 1],
    ]);
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pushed: 0, pulled: 0 });
  });
});

describe('resumable uploads', () => {
  const size = 300 * 1024;

  it('an interrupted PUT continues from the server\'s offset', async () => {
    const who = email();
    const puts: [number, number][] = [];
    let cut = false;
    const a = await signUpDevice(live, who, {
      wrap: (t) => ({
        ...bind(t),
        putUploadChunk: async (id, file, start, end, signal) => {
          if (!cut && start > 0) {
            // The connection dies after 1000 bytes of this chunk reached the server.
            cut = true;
            await t.putUploadChunk(id, file, start, start + 1000, signal);
            puts.push([start, start + 1000]);
            throw new TransportError('cannot reach the server (ECONNRESET)', 'x', 'ECONNRESET', undefined);
          }
          puts.push([start, end]);
          return t.putUploadChunk(id, file, start, end, signal);
        },
      }),
    });
    devices.push(a);
    const bytes = randomBytes(size);
    await a.write('Drive/big.bin', bytes);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 1 });
    expect(puts[1]).toEqual([65_536, 66_536]);
    expect(puts[2]?.[0]).toBe(66_536); // from the server's offset, not from the chunk's start
    expect(puts.reduce((sum, [s, e]) => sum + e - s, 0)).toBe(size);
    const b = await openDevice(live, who);
    devices.push(b);
    await b.engine.runPass();
    expect(sha(await readFile(join(b.library, 'Drive/big.bin')))).toBe(sha(bytes));
  });

  it('a pass stopped mid-upload resumes in the next pass (a new process) from the server\'s offset', async () => {
    const who = email();
    const puts: number[] = [];
    const stop = new AbortController();
    const a = await signUpDevice(live, who, {
      wrap: (t) => ({
        ...bind(t),
        putUploadChunk: async (id, file, start, end, signal) => {
          puts.push(start);
          const answer = await t.putUploadChunk(id, file, start, end, signal);
          if (puts.length === 2) stop.abort();
          return answer;
        },
      }),
    });
    devices.push(a);
    await writeFile(join(a.library, 'Drive/big.bin'), randomBytes(size));
    const first = await a.engine.runPass(stop.signal);
    expect(first.state).not.toBe('idle');
    expect(a.engine.outbox.all()).toHaveLength(1);
    await a.close();
    devices.splice(devices.indexOf(a), 1);
    const restarted = await openDevice(live, who, {
      home: a.home,
      library: a.library,
      wrap: (t) => ({
        ...bind(t),
        putUploadChunk: async (id, file, start, end, signal) => {
          puts.push(start);
          return t.putUploadChunk(id, file, start, end, signal);
        },
      }),
    });
    devices.push(restarted);
    expect(await restarted.engine.runPass()).toMatchObject({ state: 'idle', pushed: 1 });
    expect(puts).toEqual([0, 65_536, 131_072, 196_608, 262_144]);
    expect(await serverRecords(live, who, 'drive')).toHaveLength(1);
  });
});
