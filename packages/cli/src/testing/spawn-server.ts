// Starts a real `nimbus serve` process on a free loopback port for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NIMBUS_BIN = fileURLToPath(new URL('../../bin/nimbus.js', import.meta.url));

export interface SpawnedServer {
  url: string;
  probeUrl: string | null;
  dataDir: string;
  process: ChildProcess;
  output(): string;
  /** SIGTERM, wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code once the process ends by itself. */
  exited: Promise<number | null>;
  /** Removes the data folder too. */
  dispose(): Promise<void>;
}

export async function spawnServer(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-e2e-'));
  const child = spawn(process.execPath, [NIMBUS_BIN, 'serve', '--port', '0', '--data', dataDir, ...args], {
    env: { ...process.env, NIMBUS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const check = (): void => {
      const match = /serving at (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  const probeMatch = /Probe \(plain HTTP\) at (\S+)\/v1\/probe/.exec(output);
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return {
    url,
    probeUrl: probeMatch?.[1] ?? null,
    dataDir,
    process: child,
    exited,
    output: () => output,
    stop,
    dispose: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NIMBUS_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input ?? '');
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
