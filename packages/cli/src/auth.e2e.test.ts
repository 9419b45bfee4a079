// Auth end to end: a password change on device A pauses device B (AUTH_REVOKED, PASSWORD_CHANGED) with its edits kept;
// after `nimbus login` on B they reach the server exactly once and device A receives them.
import type { NimbusRecord } from '@nimbus/protocol';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveServerRecords } from './testing/server-records.js';
import { Device } from './testing/device.js';
import { openAccountStage, type AccountStage } from './testing/account-stage.js';
import { runCli, type SpawnedServer } from './testing/spawn-server.js';

interface StatusDoc {
  state: string;
  failure: { cause: string; reason?: string; remedies: { id: string; text: string; command?: string }[] } | null;
  pending: Record<string, number>;
}

describe('nimbus account password on one device, nimbus login on the other', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let stage: AccountStage;
  let a: Device;
  let b: Device;
  const email = 'auth@example.org';
  const oldPassword = 'first passphrase';
  const newPassword = 'second passphrase';

  beforeAll(async () => {
    stage = await openAccountStage('auth-e2e', ['laptop', 'phone'], { email, password: oldPassword });
    ({ server, root } = stage);
    [a, b] = stage.devices as [Device, Device];
  });
  afterAll(() => stage.dispose());

  /** Every live record of the account, read from the feed from the start. */
  const serverRecords = (): Promise<NimbusRecord[]> => liveServerRecords(server.url, email, newPassword);

  it('B pauses with AUTH_REVOKED (PASSWORD_CHANGED), keeps its edits, and after login sends each exactly once', async () => {
    await b.write('Notes/shopping.md', '# Shopping\n- eggs\n');
    await b.sync();
    await a.sync();
    expect(await a.read('Notes/shopping.md')).toBe('# Shopping\n- eggs\n');

    // B edits while A changes the password.
    await b.write('Notes/shopping.md', '# Shopping\n- eggs\n- flour\n');
    await b.write('Notes/new idea.md', 'a new idea\n');
    await b.write('Drive/report.txt', 'quarterly report\n');
    const changed = await a.cli(['account', 'password'], { NIMBUS_PASSWORD: oldPassword, NIMBUS_NEW_PASSWORD: newPassword });
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('1 other device was signed out');

    const paused = await b.cli(['sync']);
    expect(paused.code, `${paused.stdout}\n${paused.stderr}`).toBe(3);
    expect(paused.stdout).toMatch(/^Sync Paused — you were signed out/);
    expect(paused.stdout).toContain(`Fix: nimbus login --server ${server.url} --email ${email}`);

    const status = JSON.parse((await b.cli(['status', '--json'])).stdout) as StatusDoc;
    expect(status.state).toBe('paused');
    expect(status.failure).toMatchObject({ cause: 'AUTH_REVOKED', reason: 'PASSWORD_CHANGED' });
    expect(status.failure?.remedies[0]).toMatchObject({ id: 'sign-in', command: `nimbus login --server ${server.url} --email ${email}` });
    expect(status.pending.notes).toBe(2);
    expect(status.pending.drive).toBe(1);
    const human = await b.cli(['status']);
    expect(human.stdout).toMatch(/^Sync Paused — you were signed out/);
    expect(human.stdout).toMatch(/notes\s+2 pending · paused \(AUTH_REVOKED\)/);
    expect(human.stdout).toMatch(/drive\s+1 pending · paused \(AUTH_REVOKED\)/);

    // A second `nimbus sync` while revoked changes nothing and loses nothing.
    expect((await b.cli(['sync'])).code).toBe(3);

    const login = await b.cli(['login', '--server', server.url, '--email', email, '--device', 'phone'], { NIMBUS_PASSWORD: newPassword });
    expect(login.code, login.stderr).toBe(0);
    // Signed in again, not synced yet: status says what to run, not the stale "you were signed out".
    const between = await b.cli(['status']);
    expect(between.stdout).toMatch(/^Signed in — run nimbus sync to send the 3 changes waiting here/);
    expect(between.stdout).not.toContain('What fixes it');
    const resumed = await b.sync(0);
    expect(resumed.stdout).toMatch(/^Up to date/);
    const after = JSON.parse((await b.cli(['status', '--json'])).stdout) as StatusDoc;
    expect(after).toMatchObject({ state: 'idle', failure: null, pending: { notes: 0, drive: 0 } });

    const records = await serverRecords();
    const paths = records.map((r) => `${r.zone}:${String(r.data?.['path'])}`).sort();
    expect(paths).toEqual(['drive:report.txt', 'notes:new idea.md', 'notes:shopping.md']);
    const shopping = records.find((r) => r.data?.['path'] === 'shopping.md');
    expect(shopping?.data?.['text']).toBe('# Shopping\n- eggs\n- flour\n');

    await a.sync();
    expect(await a.read('Notes/shopping.md')).toBe('# Shopping\n- eggs\n- flour\n');
    expect(await a.read('Notes/new idea.md')).toBe('a new idea\n');
    expect(await a.read('Drive/report.txt')).toBe('quarterly report\n');
    expect(await a.list('Notes')).toEqual(['new idea.md', 'shopping.md']);
    expect(await a.list('Drive')).toEqual(['report.txt']);
    // And nothing bounces back: both devices are up to date with nothing to send.
    for (const d of [a, b]) expect((await d.sync()).stdout).not.toMatch(/\d+ sent/);
  });

  it('another account on the same home is refused while the state mirrors the first one, until nimbus logout --forget', async () => {
    const other = 'other@example.org';
    const otherPassword = 'other passphrase';
    const created = await runCli(['account', 'create', '--server', server.url, '--email', other], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: otherPassword });
    expect(created.code, created.stderr).toBe(0);

    const refused = await b.cli(['login', '--server', server.url, '--email', other], { NIMBUS_PASSWORD: otherPassword });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`this device syncs ${email} on ${server.url}`);
    expect(refused.stderr).toContain('nimbus logout --forget');
    // Still signed in as the first account, still up to date.
    expect((await b.sync()).stdout).toMatch(/^Up to date/);

    // A session.json of another account put there by other means: sync refuses too, in one line.
    const stranger = new Device('stranger', root);
    await stranger.init();
    await stranger.login(server.url, other, otherPassword);
    const saved = join(root, 'b-session.json');
    await copyFile(join(b.home, 'session.json'), saved);
    await copyFile(join(stranger.home, 'session.json'), join(b.home, 'session.json'));
    const swapped = await b.cli(['sync']);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr.trim().split('\n')).toHaveLength(1);
    expect(swapped.stderr).toContain('nimbus logout --forget');
    await copyFile(saved, join(b.home, 'session.json'));

    // A home that never synced anything may take another account.
    const fresh = new Device('fresh', root);
    await fresh.init();
    await fresh.login(server.url, email, newPassword);
    await fresh.login(server.url, other, otherPassword);

    const forgot = await b.cli(['logout', '--forget']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout).toContain("Forgot this device's sync state.");
    await b.login(server.url, other, otherPassword);
    await b.sync();
  });

  it('signed out: nimbus sync prints one line with the exact sign-in command and exits 3; --help starts a new user off', async () => {
    const nobody = new Device('nobody', root);
    await nobody.init();
    const run = await nobody.cli(['sync']);
    expect(run.code).toBe(3);
    expect(run.stdout.trim().split('\n')).toEqual(['Signed out — run nimbus login --server URL --email EMAIL']);
    const help = await nobody.cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Start here:');
    expect(help.stdout).toMatch(/^ {2}storage \[options\]/m);
    // The library shows where files go.
    expect((await import('node:fs')).existsSync(join(nobody.library, 'Notes'))).toBe(true);
  });
});
