// The peer: restic (Debian package) backing up the same tree into a local repository.
import { spawnSync } from 'node:child_process';
import { runProcess, type ProcessRun } from '../sync/process-run.js';

const PASSWORD = 'bench-restic-password';

export function resticAvailable(): boolean {
  return spawnSync('restic', ['version'], { stdio: 'ignore' }).status === 0;
}

export class Restic {
  constructor(readonly repo: string) {}

  private run(args: string[]): Promise<ProcessRun> {
    return runProcess('restic', ['-r', this.repo, ...args], {
      env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: `${this.repo}.cache` },
      timeoutMs: 30 * 60_000,
    });
  }

  async init(): Promise<void> {
    const run = await this.run(['init']);
    if (run.code !== 0) throw new Error(`restic init failed: ${run.stderr}`);
  }

  /** One timed `restic backup PATH` (spawn to exit). */
  async backup(path: string): Promise<ProcessRun> {
    const run = await this.run(['backup', '--quiet', path]);
    if (run.code !== 0) throw new Error(`restic backup failed: ${run.stderr.slice(-2000)}`);
    return run;
  }
}
