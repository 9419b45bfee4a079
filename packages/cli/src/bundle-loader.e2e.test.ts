// The CLI's code cache (bundle-loader.ts): made by a command that succeeded, in the user's own NIMBUS_HOME only,
// read by the next run of that command, made again when V8 refuses it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NIMBUS_BIN } from './testing/spawn-server.js';

let root: string;
let home: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-code-cache-'));
  home = join(root, 'home');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function nimbus(...args: string[]): { status: number | null; stdout: string } {
  const run = spawnSync(process.execPath, [NIMBUS_BIN, ...args], { env: { ...process.env, NIMBUS_HOME: home, NIMBUS_LIBRARY: root }, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout };
}

const caches = (): string[] => (existsSync(join(home, 'code-cache')) ? readdirSync(join(home, 'code-cache')) : []);

it('writes nothing where NIMBUS_HOME does not exist', () => {
  expect(nimbus('--version').status).toBe(0);
  expect(existsSync(home)).toBe(false);
});

it('keeps one cache per command that succeeded, owner-only, and reads it instead of writing it again', () => {
  mkdirSync(home);
  expect(nimbus('services', 'list').status).toBe(0);
  expect(nimbus('no-such-command').status).toBe(2);
  const [cache, ...others] = caches();
  expect(others).toEqual([]);
  expect(cache).toMatch(/^services-/);
  const file = join(home, 'code-cache', cache!);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(join(home, 'code-cache')).mode & 0o777).toBe(0o700);

  const longAgo = new Date('2020-01-01T00:00:00Z');
  utimesSync(file, longAgo, longAgo);
  const second = nimbus('services', 'list');
  expect(second.status).toBe(0);
  expect(second.stdout).toContain('contacts');
  // Accepted by V8: not written again.
  expect(statSync(file).mtimeMs).toBe(longAgo.getTime());
});

it('replaces a cache V8 refuses (damaged, or from another build) and the command still works', () => {
  mkdirSync(home);
  expect(nimbus('services', 'list').status).toBe(0);
  const file = join(home, 'code-cache', caches()[0]!);
  writeFileSync(file, 'not a code cache');
  const run = nimbus('services', 'list');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('contacts');
  expect(readFileSync(file).length).toBeGreaterThan(10_000);
});

it('does not read a cache others could have written (a folder or file writable by group or others)', () => {
  mkdirSync(home);
  expect(nimbus('services', 'list').status).toBe(0);
  const folder = join(home, 'code-cache');
  const file = join(folder, caches()[0]!);
  const longAgo = new Date('2020-01-01T00:00:00Z');
  for (const [path, mode] of [[folder, 0o777], [file, 0o666]] as const) {
    chmodSync(path, mode);
    utimesSync(file, longAgo, longAgo);
    const run = nimbus('services', 'list');
    expect(run.status).toBe(0);
    // Not used, so made again (and the new file is owner-only).
    expect(statSync(file).mtimeMs).not.toBe(longAgo.getTime());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(folder, 0o700);
  }
});
