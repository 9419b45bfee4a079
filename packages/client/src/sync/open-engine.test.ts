import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../api-client.js';
import { writeSession } from '../session-file.js';
import { PASSWORD, startServer, type LiveServer } from '../testing/engine-harness.js';
import { openEngine } from './open-engine.js';
import type { SyncEngine } from './sync-engine.js';

let live: LiveServer;
const engines: SyncEngine[] = [];
beforeEach(async () => {
  live = await startServer();
});
afterEach(async () => {
  for (const e of engines.splice(0)) e.close();
  await live.close();
});

async function home(email: string, deviceName: string): Promise<{ home: string; library: string; engine: SyncEngine }> {
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-open-'));
  const library = join(dir, 'library');
  for (const f of ['Contacts', 'Notes', 'Photos', 'Drive']) await mkdir(join(library, f), { recursive: true });
  const client = new ApiClient({ server: live.url });
  await client.login({ email, password: PASSWORD, deviceName });
  await writeSession(join(dir, 'home'), { server: live.url, email, deviceName, tokens: client.session! });
  const engine = await openEngine({ home: join(dir, 'home'), library });
  engines.push(engine);
  return { home: join(dir, 'home'), library, engine };
}

describe('openEngine (the real adapters, session.json, state.sqlite)', () => {
  it('syncs notes and drive files between two homes', async () => {
    const email = 'open@example.org';
    await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
    const a = await home(email, 'laptop');
    const b = await home(email, 'phone');
    const bytes = randomBytes(100_000);
    await writeFile(join(a.library, 'Notes', 'todo.md'), '# todo\n- milk\n');
    await mkdir(join(a.library, 'Drive', 'docs'), { recursive: true });
    await writeFile(join(a.library, 'Drive', 'docs', 'data.bin'), bytes);
    expect(await a.engine.runPass()).toMatchObject({ state: 'idle', failure: null });
    expect(await b.engine.runPass()).toMatchObject({ state: 'idle', failure: null });
    expect(await readFile(join(b.library, 'Notes', 'todo.md'), 'utf8')).toBe('# todo\n- milk\n');
    expect((await readFile(join(b.library, 'Drive', 'docs', 'data.bin'))).equals(bytes)).toBe(true);
    expect(await readdir(join(b.library, 'Notes'))).toEqual(['todo.md']);
    for (const e of [a.engine, b.engine]) expect(await e.runPass()).toMatchObject({ state: 'idle', pushed: 0, pulled: 0 });
  });
});

describe('the account a state belongs to', () => {
  it('is recorded at the first sync; another account is refused while the state holds something, and may take over an empty one', async () => {
    const { AccountMismatchError, bindAccount, forgetSyncState } = await import('./open-engine.js');
    const { LocalStore, stateFilePath } = await import('../store/local-store.js');
    const { boundAccount } = await import('../session-file.js');
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-bind-'));
    const store = new LocalStore(stateFilePath(dir));
    try {
      const first = { server: 'http://a:7070', email: 'a@example.org', accountId: 'acc-1' };
      const second = { server: 'http://a:7070', email: 'b@example.org', accountId: 'acc-2' };
      bindAccount(store, dir, first);
      expect(boundAccount(store)).toEqual(first);
      // Same account at the same server: fine. Another account on an empty state: takes it over.
      bindAccount(store, dir, { ...first });
      bindAccount(store, dir, second);
      expect(boundAccount(store)?.accountId).toBe('acc-2');
      store.putMirror({ zone: 'notes', id: 'n1', version: 1, deleted: false, data: { path: 'x.md', text: 'x' }, blobs: [], path: 'Notes/x.md', localSize: 1, localMtimeMs: 1, localHash: 'h' });
      expect(() => bindAccount(store, dir, first)).toThrow(AccountMismatchError);
      expect(() => bindAccount(store, dir, { ...first, accountId: undefined, server: 'http://other:7070' })).toThrow(/nimbus logout --forget/);
      store.setServiceSettings('photos', { enabled: false });
    } finally {
      store.close();
    }
    await forgetSyncState(dir);
    const fresh = new LocalStore(stateFilePath(dir));
    try {
      expect(boundAccount(fresh)).toBeUndefined();
      expect(fresh.getMirror('notes', 'n1')).toBeUndefined();
      expect(fresh.serviceSettings().photos.enabled).toBe(false);
    } finally {
      fresh.close();
    }
  });
});
