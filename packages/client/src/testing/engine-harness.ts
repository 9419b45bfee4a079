// Tests only: a real in-process server on a loopback port and "devices" (a NIMBUS_HOME + library + engine each).
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestServer, type TestServer } from '../../../server/src/testing/test-server.js';
import type { ServiceAdapter } from '../adapters/adapter.js';
import type { ProbeResult } from '../engine/classify.js';
import { ApiClient } from '../api-client.js';
import { writeSession } from '../session-file.js';
import { LocalStore, stateFilePath } from '../store/local-store.js';
import { sessionConnector } from '../sync/open-engine.js';
import type { EngineTuning, SyncTransport } from '../sync/ports.js';
import { SyncEngine } from '../sync/sync-engine.js';
import { TestDriveAdapter, TestNotesAdapter } from './folder-adapters.js';

export const PASSWORD = 'correct horse battery';

export interface LiveServer {
  server: TestServer;
  url: string;
  close(): Promise<void>;
}

export async function startServer(): Promise<LiveServer> {
  const server = await createTestServer('sqlite');
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  return { server, url, close: () => server.close() };
}

/** A fake clock: moves only when told. */
export function fakeClock(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

export interface Device {
  home: string;
  library: string;
  engine: SyncEngine;
  notes: TestNotesAdapter;
  drive: TestDriveAdapter;
  store: LocalStore;
  write(path: string, text: string | Buffer): Promise<void>;
  read(path: string): Promise<string>;
  list(folder: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  /** Signs this device in again (new session.json). */
  login(email: string, password?: string): Promise<void>;
  close(): Promise<void>;
}

export interface DeviceOptions {
  /** Wraps the transport the engine gets (fault injection). */
  wrap?: (transport: SyncTransport) => SyncTransport;
  tuning?: Partial<EngineTuning>;
  /** Reuse this home (a restarted process) instead of a new one. */
  home?: string;
  library?: string;
  /** The device's clock (the engine's and its API client's); a fake one from 2026-01-05 by default. */
  clock?: { now: () => number };
  /** The connectivity probe the engine runs after a network-looking failure. */
  probe?: () => Promise<ProbeResult | undefined>;
}

export async function signUpDevice(live: LiveServer, email: string, options: DeviceOptions = {}): Promise<Device> {
  await live.server.request({ method: 'POST', url: '/v1/accounts', payload: { email, password: PASSWORD } });
  return openDevice(live, email, options);
}

export async function openDevice(live: LiveServer, email: string, options: DeviceOptions = {}): Promise<Device> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'nimbus-home-')));
  const library = options.library ?? (await mkdtemp(join(tmpdir(), 'nimbus-lib-')));
  for (const folder of ['Notes', 'Drive']) await mkdir(join(library, folder), { recursive: true });
  const clock = options.clock ?? fakeClock();
  const login = async (who: string, password = PASSWORD): Promise<void> => {
    const client = new ApiClient({ server: live.url });
    await client.login({ email: who, password, deviceName: `dev-${home.slice(-6)}` });
    await writeSession(home, { server: live.url, email: who, deviceName: 'test', tokens: client.session! });
  };
  if (options.home === undefined) await login(email);
  const notes = new TestNotesAdapter();
  const drive = new TestDriveAdapter();
  const store = new LocalStore(stateFilePath(home));
  const connect = sessionConnector(home, clock.now);
  const adapters: ServiceAdapter[] = [notes, drive];
  const engine = new SyncEngine({
    store,
    adapters,
    library: { root: library },
    downloadsDir: join(home, 'downloads'),
    now: clock.now,
    connect: async () => {
      const t = await connect();
      return t && options.wrap ? options.wrap(t) : t;
    },
    tuning: { chunkBytes: 64 * 1024, ...options.tuning },
    ...(options.probe ? { probe: options.probe } : {}),
  });
  return {
    home,
    library,
    engine,
    notes,
    drive,
    store,
    write: async (path, text) => writeFile(join(library, path), text),
    read: (path) => readFile(join(library, path), 'utf8'),
    list: async (folder) => (await readdir(join(library, folder))).filter((n) => !n.startsWith('.')).sort(),
    remove: (path) => rm(join(library, path)),
    login,
    close: async () => engine.close(),
  };
}

/** A copy of a device's home as it is now (state.sqlite included, WAL checkpointed into the copy). */
export async function snapshotHome(device: Device): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'nimbus-home-copy-'));
  await cp(device.home, copy, { recursive: true, filter: (src) => !/state\.sqlite(-wal|-shm)?$/.test(src) });
  device.store.db.exec(`VACUUM INTO '${stateFilePath(copy).replace(/'/g, "''")}'`);
  return copy;
}

/** The account's live records in a zone, straight from the server's database. */
export async function serverRecords(live: LiveServer, email: string, zone: string) {
  const rows = await live.server.ctx.store.db
    .selectFrom('records')
    .innerJoin('accounts', 'accounts.id', 'records.account_id')
    .select(['records.id', 'records.version', 'records.deleted', 'records.data'])
    .where('accounts.email', '=', email)
    .where('records.zone', '=', zone)
    .execute();
  return rows.map((r) => ({ id: r.id, version: r.version, deleted: r.deleted === 1, data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>) }));
}

/** The ApiClient's methods, bound, as a plain object that a test can override parts of. */
export function bind<T extends object>(t: T): T {
  const out: Record<string, unknown> = {};
  for (const key of ['writeRecords', 'getRecord', 'changes', 'checkBlobs', 'createUpload', 'getUpload', 'putUploadChunk', 'completeUpload', 'uploadBlobPack', 'downloadBlob']) {
    const fn = (t as Record<string, unknown>)[key];
    if (typeof fn === 'function') out[key] = (fn as (...args: unknown[]) => unknown).bind(t);
  }
  return out as T;
}
