import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentLockedError, acquireAgentLock, processAlive } from './agent-lock.js';

describe('agent lock', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'nimbus-lock-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('holds the pid; a second agent is refused with a message naming it; release frees it', async () => {
    const lock = await acquireAgentLock(home, { pid: 1111, isAlive: () => true });
    expect(await readFile(join(home, 'agent.lock'), 'utf8')).toBe('1111\n');
    const second = acquireAgentLock(home, { pid: 2222, isAlive: () => true });
    await expect(second).rejects.toBeInstanceOf(AgentLockedError);
    await expect(second).rejects.toThrow(/pid 1111/);
    lock.release();
    lock.release();
    expect(existsSync(join(home, 'agent.lock'))).toBe(false);
    (await acquireAgentLock(home, { pid: 2222, isAlive: () => true })).release();
  });

  it("takes over a dead agent's lock, and a lock with no pid in it", async () => {
    await writeFile(join(home, 'agent.lock'), '999999\n');
    const lock = await acquireAgentLock(home, { pid: 3333, isAlive: (pid) => pid !== 999999 });
    expect(await readFile(join(home, 'agent.lock'), 'utf8')).toBe('3333\n');
    lock.release();
    await writeFile(join(home, 'agent.lock'), '');
    const again = await acquireAgentLock(home, { pid: 4444, isAlive: () => true });
    expect(await readFile(join(home, 'agent.lock'), 'utf8')).toBe('4444\n');
    again.release();
  });

  it('release leaves a lock that is no longer ours', async () => {
    const lock = await acquireAgentLock(home, { pid: 5555, isAlive: () => false });
    await writeFile(join(home, 'agent.lock'), '6666\n');
    lock.release();
    expect(await readFile(join(home, 'agent.lock'), 'utf8')).toBe('6666\n');
  });

  it('processAlive knows this process and not a free pid', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });
});
