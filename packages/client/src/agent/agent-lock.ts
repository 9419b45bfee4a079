// One agent per NIMBUS_HOME: `agent.lock` holds the running agent's pid; a dead agent's lock is taken over.
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const AGENT_LOCK_FILE = 'agent.lock';

/** Another agent is running on this home. */
export class AgentLockedError extends Error {
  override readonly name = 'AgentLockedError';
  constructor(
    readonly pid: number,
    readonly lockPath: string,
  ) {
    super(`another nimbus agent (pid ${pid}) is already running for ${lockPath.replace(/\/agent\.lock$/, '')}: stop it first, or use another NIMBUS_HOME`);
  }
}

export interface AgentLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Idempotent; safe in an exit handler (synchronous). */
  release(): void;
}

export interface LockOptions {
  readonly pid?: number;
  /** Whether a process with this pid is alive (injected by tests). */
  readonly isAlive?: (pid: number) => boolean;
}

/** True when a process with `pid` exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Creates the lock with O_EXCL (only one creator can win), the pid inside, fsynced. */
function tryCreate(path: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the agent lock of `home`, or throws AgentLockedError naming the running agent. A lock left
 * by a dead process (kill -9, power loss) is taken over: it is first renamed to a name private to
 * us, so two agents starting at once cannot both take it over, then checked again.
 */
export async function acquireAgentLock(home: string, options: LockOptions = {}): Promise<AgentLock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  await mkdir(home, { recursive: true, mode: 0o700 });
  const path = join(home, AGENT_LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, pid)) return lockHandle(path, pid);
    const holder = readPid(path);
    if (holder === pid) return lockHandle(path, pid);
    // A half-written lock (crash between create and write) has no pid: treat it as stale.
    if (holder !== null && isAlive(holder)) throw new AgentLockedError(holder, path);
    const stale = `${path}.stale-${pid}`;
    try {
      renameSync(path, stale);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it: look again
      throw error;
    }
    const moved = readPid(stale);
    // Between our read and our rename another agent may have taken over: we moved a live lock.
    // Put it back (link never replaces an existing file) and refuse.
    if (moved !== null && moved !== holder && isAlive(moved)) {
      try {
        linkSync(stale, path);
      } catch {
        // A newer lock is in place already: it names a live agent too.
      }
      rmSync(stale, { force: true });
      throw new AgentLockedError(moved, path);
    }
    rmSync(stale, { force: true });
  }
  throw new Error(`could not take the agent lock ${path}: it keeps changing`);
}

function lockHandle(path: string, pid: number): AgentLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      if (readPid(path) === pid) rmSync(path, { force: true });
    },
  };
}
