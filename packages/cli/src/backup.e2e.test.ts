// Device backups end to end: a real server, the real CLI — incremental runs, restore, delete, a kill -9 mid-upload, bad input.
import type { BackupResult, RestoreResult } from '@nimbus/client';
import type { SnapshotListResponse, StorageResponse } from '@nimbus/protocol';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, type CliResult } from './testing/device.js';
import { FaultProxy } from './testing/faults/index.js';
import { NIMBUS_BIN, runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const PASSWORD = 'backup passphrase';
const MiB = 1024 * 1024;

/** path → what a restore must reproduce: bytes' hash, mode, mtime (ms), or a symlink's target. */
async function treeOf(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const info = await lstat(abs);
      const rel = relative(root, abs);
      if (info.isSymbolicLink()) found.set(rel, `link → ${await readlink(abs)}`);
      else if (info.isDirectory()) {
        found.set(rel, `dir ${(info.mode & 0o7777).toString(8)} ${Math.floor(info.mtimeMs)}`);
        await walk(abs);
      } else if (info.isFile()) {
        const hash = createHash('sha256').update(await readFile(abs)).digest('hex');
        found.set(rel, `file ${hash} ${(info.mode & 0o7777).toString(8)} ${Math.floor(info.mtimeMs)}`);
      }
    }
  };
  await walk(root);
  return found;
}

function json<T>(result: CliResult): T {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe('nimbus backup (real server, real CLI)', { timeout: 180_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let device: Device;
  let source: string;

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-backup-e2e-'));
    device = new Device('laptop', root);
    await device.init();
    const created = await runCli(['account', 'create', '--server', server.url, '--email', 'backup@example.org'], {
      NIMBUS_HOME: join(root, 'admin'),
      NIMBUS_PASSWORD: PASSWORD,
    });
    expect(created.code, created.stderr).toBe(0);
    await device.login(server.url, 'backup@example.org', PASSWORD);

    source = join(root, 'documents');
    await mkdir(join(source, 'projects', 'secret'), { recursive: true });
    await writeFile(join(source, 'big.bin'), randomBytes(6 * MiB));
    // The same bytes twice: stored once.
    const shared = randomBytes(3 * MiB);
    await writeFile(join(source, 'copy-a.bin'), shared);
    await writeFile(join(source, 'projects', 'copy-b.bin'), shared);
    await writeFile(join(source, 'projects', 'notes.txt'), 'small file\n');
    await writeFile(join(source, 'projects', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(source, 'projects', 'run.sh'), 0o755);
    await chmod(join(source, 'projects', 'secret'), 0o700);
    await writeFile(join(source, 'projects', 'secret', 'key.txt'), 'hush');
    await chmod(join(source, 'projects', 'secret', 'key.txt'), 0o600);
    await symlink('projects/notes.txt', join(source, 'notes-link'));
    await symlink('/nonexistent/target', join(source, 'dangling'));
    await utimes(join(source, 'projects', 'notes.txt'), new Date('2020-02-02T10:00:00Z'), new Date('2020-02-02T10:00:00Z'));
    await utimes(join(source, 'projects'), new Date('2021-03-03T10:00:00Z'), new Date('2021-03-03T10:00:00Z'));
  });

  afterAll(async () => {
    await server?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const storage = async (): Promise<StorageResponse> => json<StorageResponse>(await device.cli(['storage', '--json']));
  const list = async (): Promise<SnapshotListResponse> => json<SnapshotListResponse>(await device.cli(['backup', 'list', '--json']));

  let first: BackupResult;
  let second: BackupResult;

  it('backs up a folder, then again sending only the new chunks of the one changed file', async () => {
    const before = await treeOf(source);
    first = json<BackupResult>(await device.cli(['backup', 'create', source, '--json']));
    expect(first.files).toBe(6);
    expect(first.snapshot.totalBytes).toBe(12 * MiB + 11 + 18 + 4);
    // The duplicated 3 MiB went up once.
    expect(first.upload.sentBytes).toBeLessThan(9.2 * MiB);
    expect(first.upload.sentBytes).toBeGreaterThan(9 * MiB);

    // Change one file in its middle: only the chunks around the edit are new.
    const big = await readFile(join(source, 'big.bin'));
    big.write('edited!', 3 * MiB);
    await writeFile(join(source, 'big.bin'), big);
    second = json<BackupResult>(await device.cli(['backup', 'create', source, '--json']));
    expect(second.filesUnchanged).toBe(5);
    expect(second.bytesRead).toBe(6 * MiB);
    expect(second.upload.sentChunks).toBeLessThanOrEqual(3); // the edited chunk (maybe its neighbour) and the manifest
    expect(second.upload.sentBytes).toBeLessThan(2.2 * MiB);
    expect(second.upload.presentChunks).toBeGreaterThan(0);
    expect(before.size).toBe((await treeOf(source)).size);
  });

  it('lists the backups, newest first, with what deleting each would free', async () => {
    const listed = await list();
    expect(listed.snapshots.map((s) => s.id)).toEqual([second.snapshot.id, first.snapshot.id]);
    // Each frees only its own version of the edited neighbourhood: everything else is shared.
    for (const s of listed.snapshots) expect(s.freesBytes).toBeLessThan(2.2 * MiB);
    const text = await device.cli(['backup', 'list']);
    expect(text.stdout).toContain(second.snapshot.id);
    expect(text.stdout).toMatch(/frees/);
    const report = await storage();
    expect(report.backups.map((b) => b.id)).toEqual([second.snapshot.id, first.snapshot.id]);
  });

  it('restores byte-exact with modes, times and symlinks, and refuses a non-empty folder without --overwrite', async () => {
    const dest = join(root, 'restored');
    const result = json<RestoreResult>(await device.cli(['backup', 'restore', second.snapshot.id, dest, '--json']));
    expect(result.failed).toEqual([]);
    expect(result).toMatchObject({ files: 6, symlinks: 2 });
    expect(await treeOf(join(dest, 'documents'))).toEqual(await treeOf(source));

    const again = await device.cli(['backup', 'restore', second.snapshot.id, dest]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/not empty.*--overwrite/);
    await writeFile(join(dest, 'documents', 'projects', 'notes.txt'), 'changed since');
    const over = await device.cli(['backup', 'restore', first.snapshot.id, dest, '--overwrite']);
    expect(over.code, over.stderr).toBe(0);
    expect(await readFile(join(dest, 'documents', 'projects', 'notes.txt'), 'utf8')).toBe('small file\n');
  });

  it('deleting a backup frees its unshared chunks and the quota; the other still restores', async () => {
    const used = (await storage()).usedBytes;
    const deleted = json<{ freedBytes: number }>(await device.cli(['backup', 'delete', first.snapshot.id, '--json']));
    expect(deleted.freedBytes).toBeGreaterThan(0);
    expect((await storage()).usedBytes).toBe(used - deleted.freedBytes);
    expect((await device.cli(['backup', 'delete', first.snapshot.id])).code).toBe(1);
    const dest = join(root, 'after-delete');
    json<RestoreResult>(await device.cli(['backup', 'restore', second.snapshot.id, dest, '--json']));
    expect(await treeOf(join(dest, 'documents'))).toEqual(await treeOf(source));
  });

  it('reports a corrupted chunk by hash and restores the other files', async () => {
    const corrupt = join(root, 'corrupt-src');
    await mkdir(corrupt);
    const victim = randomBytes(100_000);
    await writeFile(join(corrupt, 'victim.bin'), victim);
    await writeFile(join(corrupt, 'fine.txt'), 'fine');
    const made = json<BackupResult>(await device.cli(['backup', 'create', corrupt, '--json']));
    // Flip a byte of the victim's one chunk in the server's blob store (an object of its own or a range of its pack's).
    const blobsDir = join(server.dataDir, 'blobs');
    let flipped = false;
    for (const name of await readdir(blobsDir, { recursive: true })) {
      const path = join(blobsDir, name.toString());
      if (!(await stat(path)).isFile()) continue;
      const bytes = await readFile(path);
      const at = bytes.indexOf(victim.subarray(0, 64));
      if (at < 0) continue;
      bytes[at + 10] = bytes[at + 10]! ^ 0xff;
      await writeFile(path, bytes);
      flipped = true;
    }
    expect(flipped).toBe(true);

    const dest = join(root, 'corrupt-restore');
    const result = await device.cli(['backup', 'restore', made.snapshot.id, dest]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/victim\.bin: chunk [0-9a-f]+… is corrupted on the server/);
    expect(await readFile(join(dest, 'corrupt-src', 'fine.txt'), 'utf8')).toBe('fine');
    await expect(stat(join(dest, 'corrupt-src', 'victim.bin'))).rejects.toThrow();
    expect((await readdir(join(dest, 'corrupt-src'))).filter((n) => n.includes('nimbus-restore'))).toEqual([]);
  });

  it('a backup killed mid-upload leaves no snapshot; the next run sends only what is missing', async () => {
    const proxy = await FaultProxy.start({ target: server.url });
    const slow = new Device('slow', root);
    try {
      await slow.init();
      await slow.login(proxy.url(), 'backup@example.org', PASSWORD);
      const big = join(root, 'big-src');
      await mkdir(big);
      // Six packs: the uploader keeps four in flight (each on its own throttled connection), so some are still unsent when one lands.
      await writeFile(join(big, 'video.bin'), randomBytes(48 * MiB));
      const snapshotsBefore = (await list()).snapshots.length;
      const usedBefore = (await storage()).usedBytes;
      // Blob files on the server's disk, counted without a CLI run (fast enough to catch the first pack landing).
      const blobEntries = async (): Promise<number> => (await readdir(join(server.dataDir, 'blobs'), { recursive: true })).length;
      const entriesBefore = await blobEntries();
      await proxy.setMode({ kind: 'slow', bytesPerSecond: 2 * MiB });
      const child = spawn(process.execPath, [NIMBUS_BIN, 'backup', 'create', big], { env: { ...process.env, ...slow.env() }, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // The first pack (8 MiB, 4 s at 2 MiB/s) lands on the server: kill -9 while the rest is still on its way.
      for (let i = 0; i < 3000 && child.exitCode === null && (await blobEntries()) <= entriesBefore; i++) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      await exited;
      await proxy.setMode('pass');
      await new Promise((r) => setTimeout(r, 500)); // a pack whose body had all arrived is still stored
      expect((await list()).snapshots).toHaveLength(snapshotsBefore);
      const held = (await storage()).usedBytes - usedBefore;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThan(48 * MiB);

      const resumed = json<BackupResult>(await slow.cli(['backup', 'create', big, '--json']));
      // What the killed run stored is found, not sent again.
      expect(resumed.upload.presentBytes).toBeGreaterThanOrEqual(held);
      expect(resumed.upload.sentBytes).toBeLessThanOrEqual(48 * MiB + 64 * 1024 - held);
      expect((await list()).snapshots).toHaveLength(snapshotsBefore + 1);
      const dest = join(root, 'big-restore');
      json<RestoreResult>(await slow.cli(['backup', 'restore', resumed.snapshot.id, dest, '--json']));
      expect(await treeOf(join(dest, 'big-src'))).toEqual(await treeOf(big));
    } finally {
      await proxy.close();
    }
  });

  it('says what is wrong with bad input', async () => {
    const missing = await device.cli(['backup', 'create', join(root, 'no-such-folder')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    expect((await device.cli(['backup', 'restore', 'ffffffffffff', join(root, 'x')])).stderr).toMatch(/no backup ffffffffffff/);
    expect((await device.cli(['backup', 'policy', '--keep-last', 'three'])).code).toBe(2);
    expect((await device.cli(['backup', 'policy', '--prune-when-full', 'maybe'])).code).toBe(2);
  });

  it('lists and skips unreadable files and things that are not files', async () => {
    const odd = join(root, 'odd-src');
    await mkdir(odd);
    await writeFile(join(odd, 'ok.txt'), 'readable');
    await writeFile(join(odd, 'locked.txt'), 'unreadable');
    await chmod(join(odd, 'locked.txt'), 0o000);
    const fifo = spawn('mkfifo', [join(odd, 'pipe')]);
    await new Promise((resolve) => fifo.once('exit', resolve));
    // Root reads any file: run this backup as nobody when the tests run as root.
    const asNobody = process.getuid?.() === 0;
    const guest = new Device('guest', root);
    await guest.init();
    if (asNobody) {
      await chmod(root, 0o755);
      for (const path of [join(root, 'guest'), guest.home, guest.library, odd, join(odd, 'ok.txt'), join(odd, 'pipe')]) await chown(path, 65534, 65534);
      await chown(join(odd, 'locked.txt'), 0, 0);
    }
    const run = (args: string[]): Promise<CliResult> => cliAs({ ...guest.env(), NIMBUS_PASSWORD: PASSWORD }, args, asNobody ? 65534 : undefined);
    // nobody must reach the CLI: a checkout inside a 0700 folder (mktemp -d) is closed to it until then.
    const reopen = asNobody ? await letOthersThrough(NIMBUS_BIN) : () => Promise.resolve();
    let result: CliResult;
    try {
      const login = await run(['login', '--server', server.url, '--email', 'backup@example.org', '--device', 'guest']);
      expect(login.code, login.stderr).toBe(0);
      result = await run(['backup', 'create', odd]);
    } finally {
      await reopen();
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/skipped .*locked\.txt: permission denied/);
    expect(result.stderr).toMatch(/skipped .*pipe: not a regular file/);
    expect(result.stdout).toMatch(/1 file\b/);
  });

  it('backs up the library and the settings by default, never the session, databases or code cache', async () => {
    await device.write('Notes/todo.md', '- back up\n');
    expect(await readdir(device.home)).toContain('code-cache');
    const made = json<BackupResult>(await device.cli(['backup', 'create', '--json']));
    const dest = join(root, 'default-restore');
    json<RestoreResult>(await device.cli(['backup', 'restore', made.snapshot.id, dest, '--json']));
    expect(await readFile(join(dest, 'library', 'Notes', 'todo.md'), 'utf8')).toBe('- back up\n');
    const settings = await readdir(join(dest, 'settings'));
    expect(settings).toContain('settings.json');
    expect(settings.filter((n) => /session|sqlite|lock|code-cache/.test(n))).toEqual([]);
    const exported = JSON.parse(await readFile(join(dest, 'settings', 'settings.json'), 'utf8')) as { server: string; email: string };
    expect(exported).toMatchObject({ server: server.url, email: 'backup@example.org' });
  });

  it('keeps backups by the policy after each run', async () => {
    const set = await device.cli(['backup', 'policy', '--keep-last', '1']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/Removed backup/);
    const listed = await list();
    expect(listed.snapshots).toHaveLength(1);
    expect(listed.policy.keepLast).toBe(1);
    expect(listed.pruned.length).toBeGreaterThan(0);
    const report = await device.cli(['storage']);
    expect(report.stdout).toMatch(/Removed backup .* \(the retention policy/);
  });
});

/** Runs the CLI, as another user when `uid` is given (its folders must belong to that user). */
/** Adds o+x to every folder above `path` that lacks it (so another user can pass through); returns the undo. */
async function letOthersThrough(path: string): Promise<() => Promise<void>> {
  const changed: [string, number][] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    if (dirname(dir) === dir) break;
  }
  return async () => {
    for (const [dir, mode] of changed) await chmod(dir, mode);
  };
}

function cliAs(env: NodeJS.ProcessEnv, args: string[], uid: number | undefined): Promise<CliResult> {
  if (uid === undefined) return runCli(args, env);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NIMBUS_BIN, ...args], { env: { ...process.env, ...env }, uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
