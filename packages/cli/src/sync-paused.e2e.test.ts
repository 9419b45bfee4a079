// `nimbus sync` when it cannot finish: exit 3 with the banner and the fix, contacts/notes still syncing under a full quota.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

describe('nimbus sync exit 3 (paused)', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let a: Device;
  let b: Device;
  const password = 'paused passphrase';

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off', '--default-quota', '2MB']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-paused-e2e-'));
    a = new Device('laptop', root);
    b = new Device('phone', root);
    await a.init();
    await b.init();
    const created = await runCli(['account', 'create', '--server', server.url, '--email', 'full@example.org'], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    await a.login(server.url, 'full@example.org', password);
    await b.login(server.url, 'full@example.org', password);
  });
  let restarted: SpawnedServer | undefined;
  afterAll(async () => {
    await restarted?.stop();
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('a full account pauses Drive with the figures and the fix; notes still reach the other device', async () => {
    await a.write('Drive/huge.bin', randomBytes(3_000_000));
    await a.write('Notes/still.md', 'notes keep syncing\n');
    const run = await a.cli(['sync']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/Sync Paused — storage full \(.* of 2\.0 MB used(; what waits to upload does not fit)?\)/);
    expect(run.stdout).toContain('Fix: nimbus storage');
    const status = JSON.parse((await a.cli(['status', '--json'])).stdout) as { state: string; failure: { cause: string; affects: string[] }; pending: Record<string, number> };
    expect(status.state).toBe('paused');
    expect(status.failure.cause).toBe('QUOTA_EXCEEDED');
    expect(status.failure.affects).toContain('drive');
    expect(status.failure.affects).not.toContain('notes');
    expect(status.pending.drive).toBeGreaterThan(0);
    await b.sync();
    expect(await b.read('Notes/still.md')).toBe('notes keep syncing\n');
    const human = await a.cli(['status']);
    expect(human.stdout).toMatch(/^Sync Paused — storage full/);
    expect(human.stdout).toMatch(/drive\s+1 pending · paused \(QUOTA_EXCEEDED\)/);
    // The fix the banner names exists, and names what uses the space.
    const storage = await a.cli(['storage']);
    expect(storage.code, storage.stderr).toBe(0);
    expect(storage.stdout).toMatch(/^Storage: .* of 2\.0 MB used/);
    expect(storage.stdout).toContain('Notes/still.md');
  });

  it('an unreachable server pauses with exit 3, and the banner names the fix', async () => {
    await server.stop();
    const run = await a.cli(['sync']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    expect(run.stdout).toMatch(/^Sync Paused — /);
  });

  it('an agent started while the server is down says so, keeps running, and resumes by itself when it is back', async () => {
    const agent = a.agent();
    try {
      await agent.waitFor(/Sync Paused — the server is not answering|Sync Paused — this device is offline/);
      // Nothing was known before the first pass: the agent never claimed to be up to date.
      expect(agent.output()).not.toContain('Up to date');
      const mark = agent.output().length;
      await a.write('Notes/while-down.md', 'written while the server was down\n');
      const port = new URL(server.url).port;
      restarted = await spawnServer(['--probe-port', 'off', '--port', port, '--data', server.dataDir]);
      expect(restarted.url).toBe(server.url);
      // Back, and still full: the agent is paused for storage again, and notes went through.
      await agent.waitFor(/Sync Paused — storage full/, 60_000, mark);
      await b.sync();
      expect(await b.read('Notes/while-down.md')).toBe('written while the server was down\n');
      expect(agent.process.exitCode).toBeNull();

      // The admin raises the quota: the server tells the waiting agent, which sends Drive at once (no command,
      // and long before its backoff would have tried again).
      const resumed = agent.output().length;
      await raiseQuota(server.url, 'full@example.org', password, 50_000_000);
      await agent.waitFor(/Up to date/, 30_000, resumed);
      await b.sync();
      expect((await b.readBytes('Drive/huge.bin')).length).toBe(3_000_000);
    } finally {
      expect(await agent.stop('SIGTERM')).toBe(0);
    }
  });
});

/** Signs in as the admin (the first account) over the API and sets `email`'s own quota. */
async function raiseQuota(server: string, email: string, password: string, quotaBytes: number): Promise<void> {
  const login = await fetch(`${server}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(login.status).toBe(200);
  const { accessToken, account } = (await login.json()) as { accessToken: string; account: { id: string } };
  const set = await fetch(`${server}/v1/admin/accounts/${account.id}/quota`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ quotaBytes }),
  });
  expect(set.status, await set.text()).toBe(200);
}
