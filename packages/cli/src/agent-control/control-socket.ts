// The running agent's control socket: how `nimbus sync` asks it for a pass instead of refusing to run beside it.
// A Unix socket in NIMBUS_HOME (owner-only, like the rest of the folder), one JSON line each way. This module
// loads nothing but Node's own modules: the delegating `nimbus sync` reads it before the CLI's bundle.
import { join } from 'node:path';

/** Longest socket path the kernel takes (sun_path is 108 bytes on Linux, 104 on macOS). */
export const SOCKET_PATH_MAX = 103;
/** Longest request or answer line either side reads. */
export const LINE_MAX_BYTES = 256 * 1024;

export function controlSocketPath(home: string): string {
  return join(home, 'agent.sock');
}

export interface SyncRequest {
  readonly op: 'sync';
}

/** The agent's answer: what `nimbus sync` prints, and its exit code (see sync-report.ts). */
export interface SyncAnswer {
  readonly lines: string[];
  readonly errors: string[];
  readonly exitCode: number;
}

export function isSyncAnswer(value: unknown): value is SyncAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return strings(v['lines']) && strings(v['errors']) && Number.isInteger(v['exitCode']);
}

/** Reads one newline-terminated line from a stream (undefined when it ends first or sends too much). */
export function readLine(stream: NodeJS.ReadableStream, onLine: (line: string | undefined) => void): void {
  let buffered = '';
  let done = false;
  const finish = (line: string | undefined): void => {
    if (done) return;
    done = true;
    stream.removeListener('data', onData);
    onLine(line);
  };
  const onData = (chunk: Buffer | string): void => {
    buffered += chunk.toString();
    const end = buffered.indexOf('\n');
    if (end >= 0) finish(buffered.slice(0, end));
    else if (buffered.length > LINE_MAX_BYTES) finish(undefined);
  };
  stream.on('data', onData);
  stream.once('end', () => finish(undefined));
  stream.once('error', () => finish(undefined));
  stream.once('close', () => finish(undefined));
}
