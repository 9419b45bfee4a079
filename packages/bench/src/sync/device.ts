// A device: its own NIMBUS_HOME and NIMBUS_LIBRARY, driving the real CLI (`node packages/cli/bin/nimbus.js …`).
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../server-process.js';
import { runProcess, type ProcessRun } from './process-run.js';

export const NIMBUS_BIN = join(REPO_ROOT, 'packages/cli/bin/nimbus.js');
const PASSWORD = 'bench-password-1234';
let accounts = 0;

/** One timed `nimbus sync`. */
export interface SyncRun extends ProcessRun {
  sent: number;
  received: number;
}

export class BenchDevice {
  readonly home: string;
  readonly library: string;

  private constructor(
    readonly name: string,
    root: string,
  ) {
    this.home = join(root, name, 'home');
    this.library = join(root, name, 'library');
  }

  static async create(root: string, name: string): Promise<BenchDevice> {
    const device = new BenchDevice(name, root);
    await mkdir(device.home, { recursive: true });
    await mkdir(device.library, { recursive: true });
    return device;
  }

  folder(service: 'Contacts' | 'Notes' | 'Drive' | 'Photos'): string {
    return join(this.library, service);
  }

  #env(extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, NIMBUS_HOME: this.home, NIMBUS_LIBRARY: this.library, NIMBUS_PASSWORD: PASSWORD, NO_COLOR: '1', FORCE_COLOR: '0', ...extraEnv };
  }

  /** Runs the CLI; `profileDir` adds a V8 CPU profile of this process there. */
  async cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}, profileDir?: string): Promise<ProcessRun> {
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const run = await runProcess(process.execPath, [...nodeArgs, NIMBUS_BIN, ...args], { env: this.#env(extraEnv), cwd: this.home, timeoutMs: 30 * 60_000 });
    if (run.code !== 0) throw new Error(`nimbus ${args.join(' ')} on ${this.name} exited ${run.code}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
    return run;
  }

  /** Creates a fresh account through the CLI and signs this device in to it. */
  async createAccountAndLogin(server: string): Promise<{ email: string; password: string }> {
    const email = `bench-sync-${process.pid}-${accounts++}@example.test`;
    await this.cli(['account', 'create', '--server', server, '--email', email]);
    await this.login(server, email);
    return { email, password: PASSWORD };
  }

  async login(server: string, email: string): Promise<void> {
    await this.cli(['login', '--server', server, '--email', email, '--device', this.name]);
  }

  /** Starts `nimbus agent` and resolves once its first pass is up to date; `stop()` ends it. */
  async startAgent(): Promise<{ stop(): Promise<void> }> {
    const child = spawn(process.execPath, [NIMBUS_BIN, 'agent'], { env: this.#env(), cwd: this.home, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/up to date/i.test(output)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => reject(new Error(`nimbus agent on ${this.name} exited:\n${output.slice(-2000)}`)));
    });
    return {
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  /** One `nimbus sync`, timed from spawn to exit (node start-up included, as a user sees it). */
  async sync(profileDir?: string): Promise<SyncRun> {
    const run = await this.cli(['sync'], {}, profileDir);
    const counts = /(\d+) sent, (\d+) received/.exec(run.stdout);
    return { ...run, sent: Number(counts?.[1] ?? 0), received: Number(counts?.[2] ?? 0) };
  }
}
