import { NimbusError } from '@nimbus/protocol';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bind, openDevice, serverRecords, signUpDevice, startServer, type Device, type LiveServer } from '../testing/engine-harness.js';
import type { SyncTransport } from './ports.js';

let live: LiveServer;
const devices: Device[] = [];
let n = 0;
const email = () => `packs${++n}@example.org`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
  await live.close();
});

/** A transport that counts the calls a pass makes. */
function counting(calls: Map<string, number>, override: Partial<SyncTransport> = {}) {
  return (t: SyncTransport): SyncTransport => {
    const bound = bind(t);
    const out = { ...bound, ...override } as unknown as Record<string, unknown>;
    for (const key of Object.keys(out)) {
      const fn = out[key] as (...args: unknown[]) => unknown;
      out[key] = (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return fn(...args);
      };
    }
    return out as unknown as SyncTransport;
  };
}

async function writeFiles(device: Device, count: number, size: number): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const bytes = randomBytes(size);
    files.set(`Drive/f${i}.bin`, bytes);
    await writeFile(join(device.library, `Drive/f${i}.bin`), bytes);
  }
  return files;
}

async function expectConverged(who: string, files: Map<string, Buffer>): Promise<void> {
  const b = await openDevice(live, who);
  devices.push(b);
  expect(await b.engine.runPass()).toMatchObject({ state: 'idle', failure: null });
  for (const [path, bytes] of files) expect(sha(await readFile(join(b.library, path))), path).toBe(sha(bytes));
}

describe('small blobs in packs', () => {
  it('sends many small files in a few pack requests, none through upload sessions', async () => {
    const who = email();
    const calls = new Map<string, number>();
    const a = await signUpDevice(live, who, { wrap: counting(calls), tuning: { batchSize: 1000 } });
    devices.push(a);
    const files = await writeFiles(a, 300, 4096);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 300 });
    expect(calls.get('uploadBlobPack')).toBeGreaterThanOrEqual(2); // 1.2 MB: more than one pack
    expect(calls.get('uploadBlobPack')).toBeLessThanOrEqual(4);
    expect(calls.get('createUpload')).toBeUndefined();
    expect(await serverRecords(live, who, 'drive')).toHaveLength(300);
    await expectConverged(who, files);
  });

  it('a file bigger than one upload chunk still goes through a resumable upload', async () => {
    const who = email();
    const calls = new Map<string, number>();
    const a = await signUpDevice(live, who, { wrap: counting(calls) }); // chunkBytes 64 KiB in the harness
    devices.push(a);
    const files = await writeFiles(a, 2, 1000);
    const big = randomBytes(100_000);
    await writeFile(join(a.library, 'Drive/big.bin'), big);
    files.set('Drive/big.bin', big);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pushed: 3 });
    expect(calls.get('uploadBlobPack')).toBe(1);
    expect(calls.get('createUpload')).toBe(1);
    await expectConverged(who, files);
  });

  it('a server without the pack route gets every blob one by one, and is asked only once per pass', async () => {
    const who = email();
    const calls = new Map<string, number>();
    const noRoute = () => Promise.reject(new NimbusError('NOT_FOUND', 'no route POST /v1/blobs/pack'));
    const a = await signUpDevice(live, who, { wrap: counting(calls, { uploadBlobPack: noRoute }), tuning: { batchSize: 50 } });
    devices.push(a);
    const files = await writeFiles(a, 120, 2000);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 120 });
    expect(calls.get('createUpload')).toBe(120);
    expect(calls.get('uploadBlobPack')).toBeLessThanOrEqual(2); // the packs already under way when the 404 came
    await expectConverged(who, files);
  });

  it('a file changed after the scan fails alone; the rest of its pack goes up, and the next pass sends the new content', async () => {
    const who = email();
    let changed = false;
    const a: Device = await signUpDevice(live, who, {
      wrap: (t) => ({
        ...bind(t),
        checkBlobs: async (hashes, signal) => {
          // Between the scan and the upload, one file is rewritten.
          if (!changed) await writeFile(join(a.library, 'Drive/f3.bin'), Buffer.from('rewritten meanwhile'));
          changed = true;
          return t.checkBlobs(hashes, signal);
        },
      }),
    });
    devices.push(a);
    const files = await writeFiles(a, 10, 3000);
    const first = await a.engine.runPass();
    expect(first.failure).toBeNull();
    const drive = await serverRecords(live, who, 'drive');
    expect(drive.map((r) => r.data?.['path']).sort()).toEqual([...files.keys()].filter((p) => p !== 'Drive/f3.bin').map((p) => p.slice(6)).sort());
    await a.engine.runPass();
    files.set('Drive/f3.bin', Buffer.from('rewritten meanwhile'));
    expect(a.engine.outbox.all()).toEqual([]);
    await expectConverged(who, files);
  });

  it('a pack refused for quota falls back to one by one: what fits goes up, then Drive pauses with QUOTA_EXCEEDED', async () => {
    const who = email();
    const calls = new Map<string, number>();
    const a = await signUpDevice(live, who, { wrap: counting(calls) });
    devices.push(a);
    await live.server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 25_000 }).where('email', '=', who).execute();
    await writeFiles(a, 5, 10_000);
    const first = await a.engine.runPass();
    expect(first).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED', quotaBytes: 25_000 } });
    expect(calls.get('uploadBlobPack')).toBe(1);
    const used = await live.server.ctx.store.db.selectFrom('accounts').select(['used_bytes', 'reserved_bytes']).where('email', '=', who).executeTakeFirstOrThrow();
    // Two of the files fit (records are charged a few bytes too); nothing overshoots.
    expect(used.used_bytes + used.reserved_bytes).toBeLessThanOrEqual(25_000);
    expect(used.used_bytes).toBeGreaterThanOrEqual(20_000);

    await live.server.ctx.store.db.updateTable('accounts').set({ quota_bytes: 10_000_000 }).where('email', '=', who).execute();
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null });
    expect(await serverRecords(live, who, 'drive')).toHaveLength(5);
  });
});
