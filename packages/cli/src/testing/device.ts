// A device for end-to-end tests: its own NIMBUS_HOME and NIMBUS_LIBRARY, CLI runs, agent processes, file helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { NIMBUS_BIN, runCli } from './spawn-server.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `nimbus agent`. */
export interface AgentProcess {
  readonly process: ChildProcess;
  output(): string;
  /** Resolves when the output (from character `from` on) matches (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<void>;
  /** Sends the signal and waits for the exit; returns the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export class Device {
  readonly home: string;
  readonly library: string;

  constructor(
    readonly name: string,
    root: string,
  ) {
    this.home = join(root, name, 'home');
    this.library = join(root, name, 'library');
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { NIMBUS_HOME: this.home, NIMBUS_LIBRARY: this.library, NIMBUS_PASSWORD: '', FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
  }

  async init(): Promise<void> {
    await mkdir(this.home, { recursive: true });
    await mkdir(this.library, { recursive: true });
  }

  cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return runCli(args, this.env(env));
  }

  async login(server: string, email: string, password: string): Promise<void> {
    const result = await this.cli(['login', '--server', server, '--email', email, '--device', this.name], { NIMBUS_PASSWORD: password });
    if (result.code !== 0) throw new Error(`login on ${this.name} failed: ${result.stderr}`);
  }

  /** `nimbus sync`; throws with the output unless it exits with `expected`. */
  async sync(expected = 0): Promise<CliResult> {
    const result = await this.cli(['sync']);
    if (result.code !== expected) {
      throw new Error(`nimbus sync on ${this.name} exited ${result.code} (expected ${expected}):\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  agent(args: string[] = [], env: NodeJS.ProcessEnv = {}): AgentProcess {
    const child = spawn(process.execPath, [NIMBUS_BIN, 'agent', ...args], { env: { ...process.env, ...this.env(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const listener of [...listeners]) listener();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return {
      process: child,
      output: () => output,
      waitFor(pattern, timeoutMs = 30_000, from = 0) {
        return new Promise((resolve, reject) => {
          const check = (): void => {
            if (!pattern.test(output.slice(from))) return;
            cleanup();
            resolve();
          };
          const timer = setTimeout(() => (cleanup(), reject(new Error(`agent output never matched ${pattern}:\n${output}`))), timeoutMs);
          const onExit = (): void => (cleanup(), pattern.test(output.slice(from)) ? resolve() : reject(new Error(`agent exited before ${pattern}:\n${output}`)));
          const cleanup = (): void => {
            clearTimeout(timer);
            listeners.delete(check);
            child.off('exit', onExit);
          };
          listeners.add(check);
          child.once('exit', onExit);
          check();
        });
      },
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
  }

  path(rel: string): string {
    return join(this.library, rel);
  }

  async write(rel: string, content: string | Buffer): Promise<void> {
    await mkdir(dirname(this.path(rel)), { recursive: true });
    await writeFile(this.path(rel), content);
  }

  read(rel: string): Promise<string> {
    return readFile(this.path(rel), 'utf8');
  }

  readBytes(rel: string): Promise<Buffer> {
    return readFile(this.path(rel));
  }

  async exists(rel: string): Promise<boolean> {
    return stat(this.path(rel)).then(
      () => true,
      () => false,
    );
  }

  async remove(rel: string): Promise<void> {
    await unlink(this.path(rel));
  }

  /** Every file of the library (relative path → SHA-256), temp files left out. */
  async hashes(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const abs = join(dir, entry.name);
        if (entry.isDirectory()) await walk(abs);
        else if (entry.isFile() && !entry.name.startsWith('.nimbus-tmp-')) {
          found.set(relative(this.library, abs), createHash('sha256').update(await readFile(abs)).digest('hex'));
        }
      }
    };
    await walk(this.library);
    return found;
  }

  /** Files under a library folder (relative to it), sorted. */
  async list(folder: string): Promise<string[]> {
    const all = await this.hashes();
    return [...all.keys()]
      .filter((rel) => rel.startsWith(`${folder}/`))
      .map((rel) => rel.slice(folder.length + 1))
      .sort();
  }

  async dispose(): Promise<void> {
    await rm(join(this.home, '..'), { recursive: true, force: true });
  }
}

/** Sorted entries, for a readable toEqual diff. */
export function sortedEntries(map: Map<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

/** A tiny valid JPEG (1×1), with `salt` in a comment segment so each photo has its own bytes. */
export function tinyJpeg(salt: string): Buffer {
  const base = Buffer.from(
    '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
    'base64',
  );
  const comment = Buffer.from(salt);
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff]), comment]);
  return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2), Buffer.from([0xff, 0xd9])]);
}
