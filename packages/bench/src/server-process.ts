// Starts a real `nimbus serve` process on a free loopback port and stops it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, seen from packages/bench/dist. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(REPO_ROOT, 'packages/cli/bin/nimbus.js');

export interface ServerProcess {
  url: string;
  pid: number;
  dataDir: string;
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** postgres://…; SQLite in the data folder when absent. */
  db?: string | undefined;
  /** Extra node flags for the server, e.g. --cpu-prof (BENCH_SERVER_NODE_ARGS). */
  nodeArgs?: string[];
}

export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-bench-'));
  const args = [...(options.nodeArgs ?? []), CLI, 'serve', '--port', '0', '--probe-port', 'off', '--data', dataDir];
  if (options.db) args.push('--db', options.db);
  args.push('--default-quota', '100GB');
  const child = spawn(process.execPath, args, {
    cwd: dataDir,
    env: { ...process.env, NIMBUS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<string>((done) => child.once('exit', (code, signal) => done(signal ?? String(code))));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const url = await waitForUrl(child, exited, () => stderr);
  return {
    url,
    pid: child.pid ?? -1,
    dataDir,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const status = await exited;
      clearTimeout(timer);
      if (status === 'SIGKILL') process.stderr.write(`[server ${child.pid} did not exit within 15 s of SIGTERM: killed]\n`);
      else if (status !== '0') process.stderr.write(`[server ${child.pid} ended with ${status}]\n`);
      if (stderr.trim()) process.stderr.write(`[server ${child.pid} stderr]\n${stderr.trim().slice(-2000)}\n`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForUrl(child: ChildProcess, exited: Promise<string>, stderr: () => string): Promise<string> {
  return new Promise((done, fail) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`nimbus serve did not print its URL within 30 s\n${stdout}\n${stderr()}`));
    }, 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Nimbus is serving at (\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`nimbus serve exited with ${code} before serving\n${stdout}\n${stderr()}`));
    });
  });
}
