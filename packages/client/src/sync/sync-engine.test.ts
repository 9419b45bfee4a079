import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bind, openDevice, serverRecords, signUpDevice, snapshotHome, startServer, type Device, type LiveServer } from '../testing/engine-harness.js';

let live: LiveServer;
const devices: Device[] = [];
let n = 0;
const email = () => `engine${++n}@example.org`;

beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
  await live.close();
});

async function pair(): Promise<[Device, Device, string]> {
  const who = email();
  const a = await signUpDevice(live, who);
  const b = await openDevice(live, who);
  devices.push(a, b);
  return [a, b, who];
}

describe('sync engine against a real server', () => {
  it('two homes converge on create, edit and delete; deletes do not come back', async () => {
    const [a, b, who] = await pair();
    await a.write('Notes/one.txt', 'first');
    await a.write('Notes/two.txt', 'second');
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 2 });
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pulled: 2 });
    expect(await b.list('Notes')).toEqual(['one.txt', 'two.txt']);

    await b.write('Notes/one.txt', 'first, edited on b');
    await b.remove('Notes/two.txt');
    await b.write('Notes/three.txt', 'third');
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', pushed: 3 });
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', pulled: 3 });
    expect(await a.list('Notes')).toEqual(['one.txt', 'three.txt']);
    expect(await a.read('Notes/one.txt')).toBe('first, edited on b');

    // More passes on both sides change nothing: the delete stays a delete, nothing is sent twice.
    for (const d of [a, b, a, b]) expect(await d.engine.runPass()).toMatchObject({ state: 'idle', pushed: 0, pulled: 0 });
    expect(await b.list('Notes')).toEqual(['one.txt', 'three.txt']);
    const records = await serverRecords(live, who, 'notes');
    expect(records.filter((r) => !r.deleted).map((r) => r.data?.['path']).sort()).toEqual(['one.txt', 'three.txt']);
    expect(records).toHaveLength(3);
    expect(a.engine.status()).toMatchObject({ state: 'idle', failure: null, pending: { notes: 0 } });
    expect(a.engine.status().lastSyncedAt).not.toBeNull();
  });

  it('a concurrent edit of one record goes through adapter.resolveConflict and both devices converge', async () => {
    const [a, b] = await pair();
    await a.write('Notes/list.txt', 'milk');
    await a.engine.runPass();
    await b.engine.runPass();
    await a.write('Notes/list.txt', 'milk\neggs');
    await b.write('Notes/list.txt', 'milk\nbread');
    await a.engine.runPass();
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle' });
    expect(b.notes.conflicts).toBe(1);
    expect(await b.read('Notes/list.txt')).toBe('milk\neggs\nbread');
    await a.engine.runPass();
    expect(await a.read('Notes/list.txt')).toBe('milk\neggs\nbread');
    expect(a.notes.conflicts).toBe(0);
  });

  it('an edit outlives a concurrent delete; the delete does not resurrect anything else', async () => {
    const [a, b] = await pair();
    await a.write('Notes/keep.txt', 'v1');
    await a.engine.runPass();
    await b.engine.runPass();
    await a.remove('Notes/keep.txt');
    await a.engine.runPass();
    await b.write('Notes/keep.txt', 'v2 edited on b');
    await b.engine.runPass();
    await a.engine.runPass();
    expect(await a.read('Notes/keep.txt')).toBe('v2 edited on b');
    expect(await b.read('Notes/keep.txt')).toBe('v2 edited on b');
  });

  it('a crash between the server\'s ok and the mirror update replays as applied once', async () => {
    const who = email();
    let copy: string | undefined;
    const device: Device = await signUpDevice(live, who, {
      wrap: (t) => ({
        ...bind(t),
        writeRecords: async (writes, signal) => {
          const answer = await t.writeRecords(writes, signal);
          copy ??= await snapshotHome(device); // the state as a kill -9 right here would leave it
          return answer;
        },
      }),
    });
    devices.push(device);
    await device.write('Notes/once.txt', 'exactly once');
    expect(await device.engine.runPass()).toMatchObject({ state: 'idle', pushed: 1 });
    expect(copy).toBeDefined();
    // "Restart" on the copy: the op is still in its outbox, marked as possibly sent.
    const restarted = await openDevice(live, who, { home: copy!, library: device.library });
    devices.push(restarted);
    expect(restarted.engine.outbox.all()).toMatchObject([{ id: expect.any(String), sent: true }]);
    expect(await restarted.engine.runPass()).toMatchObject({ state: 'idle', failure: null, pushed: 1 });
    expect(restarted.engine.outbox.all()).toEqual([]);
    expect(restarted.notes.conflicts).toBe(0);
    const records = await serverRecords(live, who, 'notes');
    expect(records).toEqual([expect.objectContaining({ version: 1, deleted: false, data: { path: 'once.txt', text: 'exactly once' } })]);
    expect(await restarted.engine.runPass()).toMatchObject({ state: 'idle', pushed: 0, pulled: 0 });
  });
});
