// Runs a child process to its end: exit code, output, wall time, and its peak resident memory (Linux).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** VmHWM of the process, read every 50 ms until it exits (the high-water mark only grows); null off Linux. */
  peakRssBytes: number | null;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the process is killed (SIGKILL); the run then fails. */
  timeoutMs?: number;
}

function readHighWaterMark(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<ProcessRun> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const keep = (text: string, chunk: Buffer): string => (text.length > 200_000 ? text.slice(-100_000) : text) + chunk.toString();
    child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
    let peak: number | null = null;
    const poll = (): void => {
      if (child.pid === undefined) return;
      const now = readHighWaterMark(child.pid);
      if (now !== null) peak = Math.max(peak ?? 0, now);
    };
    const poller = setInterval(poll, 50);
    const killer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (error) => {
      clearInterval(poller);
      clearTimeout(killer);
      fail(error);
    });
    // 'exit' comes before the streams close; the status file is gone by then, so the last poll stands.
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      clearInterval(poller);
      clearTimeout(killer);
      done({ code: code ?? (signal ? null : code), stdout, stderr: signal ? `${stderr}\n[killed by ${signal}]` : stderr, seconds, peakRssBytes: peak });
    });
  });
}
