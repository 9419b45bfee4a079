// `nimbus logout --keep …`: the services not kept leave this device (their data is on the server); their unsent
// changes go to a recovery folder first. Kept services stay as they are, mirror and outbox included.
import { SERVICE_ZONE, type Service, type Zone } from '@nimbus/protocol';
import { readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorItem, ServiceAdapter } from '../adapters/adapter.js';
import { TEMP_PREFIX } from '../adapters/atomic-write.js';
import type { LocalStore } from '../store/local-store.js';
import { Outbox, type OutboxOp } from '../store/outbox.js';
import { PullRetries } from '../store/pull-retries.js';
import { StagedMirror } from '../store/staged-mirror.js';
import { STATUS_META_KEY } from './status-keeper.js';
import { feedTokenKey, resyncKey } from './pull.js';
import { RecoveryFolder } from './recovery-folder.js';
import { unsentChanges, type UnsentChange } from './unsent-changes.js';

/** Files no service syncs and no person misses: removed with their folder. */
const LITTER = (name: string): boolean => name.startsWith(TEMP_PREFIX) || name === '.DS_Store' || name === 'Thumbs.db' || name === 'desktop.ini';

/**
 * What a sign-out would leave unsent, after mirroring what a crashed pull had placed (as a pass does first), so
 * files the server sent are not taken for local edits.
 */
export async function unsentBeforeSignOut(store: LocalStore, adapters: readonly ServiceAdapter[], libraryRoot: string): Promise<UnsentChange[]> {
  if (await isFolder(libraryRoot)) await new StagedMirror(store).recover(libraryRoot);
  return unsentChanges(store, adapters, libraryRoot);
}

export interface LeaveOptions {
  store: LocalStore;
  libraryRoot: string;
  adapters: readonly ServiceAdapter[];
  /** The services whose files leave this device. */
  leave: readonly Service[];
  /** From unsentBeforeSignOut (same store, just before). */
  unsent: readonly UnsentChange[];
  now?: () => number;
}

export interface LeaveResult {
  /** The recovery folder (absolute), or undefined when nothing was unsent. */
  recoveredTo: string | undefined;
  /** Files put in the recovery folder. */
  recovered: number;
  /** Files removed per service (copies of what the server has). */
  removed: Partial<Record<Service, number>>;
  /** Services of `leave` whose folder was left as it is: switched off here, or never synced here. */
  untouched: Service[];
}

/**
 * For each service to leave: unsent changes into the recovery folder, its sync state dropped (mirror, outbox,
 * feed token: signing in again pulls it afresh and adopts whatever is at its names), then its files removed.
 * The state goes before the files: a crash in between leaves files that the next sign-in adopts, never a mirror
 * that would read the missing files as deletes to send.
 */
export async function leaveServices(options: LeaveOptions): Promise<LeaveResult> {
  const { store, libraryRoot } = options;
  const recovery = new RecoveryFolder(libraryRoot, new Date((options.now ?? Date.now)()));
  const result: LeaveResult = { recoveredTo: undefined, recovered: 0, removed: {}, untouched: [] };
  const settings = store.serviceSettings();
  const outbox = new Outbox(store).all();
  for (const service of options.leave) {
    const zone = SERVICE_ZONE[service];
    const adapter = options.adapters.find((a) => a.service === service);
    if (adapter && (!settings[service].enabled || !zoneKnownHere(store, zone))) {
      result.untouched.push(service);
      continue;
    }
    const ops = outbox.filter((op) => op.zone === zone);
    const unsent = options.unsent.filter((c) => c.zone === zone);
    const folder = adapter ? join(libraryRoot, adapter.folder) : undefined;
    const files = folder ? await filesUnder(folder, adapter?.folder ?? '') : [];
    const onDisk = new Set(files.map((f) => f.rel));
    await keepWhatHasNoFile(recovery, ops, unsent, onDisk);
    const mirror = store.mirrorZone(zone);
    forgetZone(store, service);
    const known = new Set([...mirror.values()].flatMap((item) => (item.path === null || item.deleted || item.version === 0 ? [] : [item.path])));
    if (folder) result.removed[service] = await clearFolder(recovery, folder, files, synced(mirror, ops, unsent), known);
  }
  result.recoveredTo = await recovery.finish();
  result.recovered = recovery.files;
  return result;
}

/** Synced here at least once: a feed token, or rows in the mirror. */
function zoneKnownHere(store: LocalStore, zone: Zone): boolean {
  return store.getMeta(feedTokenKey(zone)) !== undefined || store.stmt('SELECT 1 FROM mirror WHERE zone = ? LIMIT 1').get(zone) !== undefined;
}

/** Library paths whose file is exactly what the server has: in the mirror, on the server, nothing unsent. */
function synced(mirror: Map<string, MirrorItem>, ops: readonly OutboxOp[], unsent: readonly UnsentChange[]): Set<string> {
  const pendingIds = new Set([...ops.map((op) => op.id), ...unsent.map((c) => c.id)]);
  const pendingPaths = new Set(unsent.flatMap((c) => (c.path === null ? [] : [c.path])));
  const out = new Set<string>();
  for (const item of mirror.values()) {
    if (item.path === null || item.deleted || item.version === 0 || pendingIds.has(item.id) || pendingPaths.has(item.path)) continue;
    out.add(item.path);
  }
  return out;
}

/** Unsent changes with no file at their path: a queued edit whose file went since (its queued content), a delete. */
async function keepWhatHasNoFile(recovery: RecoveryFolder, ops: readonly OutboxOp[], unsent: readonly UnsentChange[], onDisk: ReadonlySet<string>): Promise<void> {
  const latest = new Map<string, OutboxOp>();
  for (const op of ops) latest.set(op.id, op);
  for (const op of latest.values()) {
    if (op.path === null || onDisk.has(op.path)) continue;
    if (op.kind === 'delete') {
      recovery.remark(op.path, 'deleted on this device, not yet on the server: it comes back when you sign in (delete it again then)');
      continue;
    }
    const text = op.data?.['text'];
    const blob = op.blobs[0]?.file;
    if (typeof text === 'string') await recovery.writeIn(op.path, text, 'edited here, not yet sent (its file had moved: this is the queued text)');
    else if (blob !== undefined && (await isFile(blob))) await recovery.copyIn(op.path, blob, 'edited here, not yet sent (its file had moved: this is the queued copy)');
    else recovery.remark(op.path, 'changed here, not yet sent; its file is no longer on this device');
  }
  for (const change of unsent) {
    if (change.from === 'disk' && change.kind === 'delete' && change.path !== null && !latest.has(change.id)) {
      recovery.remark(change.path, 'deleted on this device, not yet on the server: it comes back when you sign in (delete it again then)');
    }
  }
}

/** Drops everything the state holds of the service's zone, in one durable transaction. */
function forgetZone(store: LocalStore, service: Service): void {
  const zone = SERVICE_ZONE[service];
  // The tables of these parts exist once their classes have opened them.
  new PullRetries(store);
  new StagedMirror(store);
  store.durableTx(() => {
    for (const table of ['mirror', 'outbox', 'pull_retry', 'mirror_staged']) store.stmt(`DELETE FROM ${table} WHERE zone = ?`).run(zone);
    store.deleteMeta(feedTokenKey(zone));
    store.deleteMeta(resyncKey(zone));
    clearStoredPending(store, service);
  });
}

/** The stored status must not go on showing the removed service's pending items. */
function clearStoredPending(store: LocalStore, service: Service): void {
  updateStoredStatus(store, (status) => {
    if (status.pending) status.pending[service] = 0;
    const entry = status.services?.[service];
    if (entry) {
      entry.pending = 0;
      entry.setAside = [];
    }
  });
}

/**
 * The stored status says "signed out" (not the last pass's "up to date" or pause): after the next `nimbus login`,
 * `nimbus status` then tells to sync, with the changes waiting here, until a pass has run.
 */
export function recordSignedOut(store: LocalStore): void {
  updateStoredStatus(store, (status) => {
    for (const key of ['progress', 'pausedSince', 'nextAttemptAt', 'signedOutReason']) delete status[key];
    Object.assign(status, { state: 'signed_out', failure: null, stalled: false });
  });
}

interface StoredStatusShape {
  [key: string]: unknown;
  pending?: Record<string, number>;
  services?: Record<string, { pending?: number; setAside?: unknown[] }>;
}

function updateStoredStatus(store: LocalStore, change: (status: StoredStatusShape) => void): void {
  const text = store.getMeta(STATUS_META_KEY);
  if (text === undefined) return;
  try {
    const status = JSON.parse(text) as StoredStatusShape;
    change(status);
    store.setMeta(STATUS_META_KEY, JSON.stringify(status));
  } catch {
    store.deleteMeta(STATUS_META_KEY); // unreadable: the next pass writes a new one
  }
}

interface FileEntry {
  rel: string;
  abs: string;
  name: string;
}

/** Every file under `folder` (symlinks included, not followed), with its library path. */
async function filesUnder(folder: string, prefix: string): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await readdir(abs, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
    for (const entry of entries) {
      const childAbs = join(abs, entry.name);
      const childRel = `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(childAbs, childRel);
      else out.push({ rel: childRel, abs: childAbs, name: entry.name });
    }
  };
  await walk(folder, prefix);
  return out;
}

/** Removes what the server has, moves the rest to the recovery folder, then the emptied sub-folders. Returns files removed. */
async function clearFolder(
  recovery: RecoveryFolder,
  folder: string,
  files: readonly FileEntry[],
  synced: ReadonlySet<string>,
  known: ReadonlySet<string>,
): Promise<number> {
  let removed = 0;
  for (const file of files) {
    if (LITTER(file.name)) await rm(file.abs, { force: true });
    else if (synced.has(file.rel)) {
      await unlink(file.abs);
      removed++;
    } else {
      await recovery.moveIn(file.rel, file.abs, known.has(file.rel) ? 'edited here, not yet sent' : 'new here, not yet sent');
      await rm(file.abs, { force: true }); // still there only when it had to be copied (another disk)
    }
  }
  await pruneEmpty(folder, true);
  return removed;
}

/** Removes empty folders under `folder` (and `folder` itself unless `keep`). */
async function pruneEmpty(folder: string, keep: boolean): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await pruneEmpty(join(folder, entry.name), false);
  if (!keep) await rmdir(folder).catch(() => undefined);
}

const isFile = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
const isFolder = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
