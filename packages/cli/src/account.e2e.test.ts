// Accounts and sessions as a user meets them: a real server process, and CLI processes with their own NIMBUS_HOME.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from '../../server/src/auth/totp.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

// Each CLI run is a fresh Node process: give the whole walk room on a busy 2-core machine.
describe('nimbus account / login / logout against a real server', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let homes: string;
  const email = 'owner@example.org';
  const password = 'first passphrase';
  const newPassword = 'second passphrase';

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    homes = await mkdtemp(join(tmpdir(), 'nimbus-homes-'));
  });
  afterAll(async () => {
    await server.dispose();
    await rm(homes, { recursive: true, force: true });
  });

  const home = (name: string) => join(homes, name);
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { NIMBUS_HOME: home('none'), NIMBUS_PASSWORD: '', NIMBUS_NEW_PASSWORD: '', ...env });

  it('creates the admin account, refuses a second one with the same email', async () => {
    const created = await cli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_PASSWORD: password });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created account ${email} (admin of this server)`);
    const again = await cli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_PASSWORD: password });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('EMAIL_TAKEN');
  });

  it('fails with one line, never a stack, on a bad URL, an unreachable server, a wrong password, no password', async () => {
    const badUrl = await cli(['login', '--server', 'not a url', '--email', email], { NIMBUS_PASSWORD: password });
    expect(badUrl.code).toBe(2);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await cli(['login', '--server', closed, '--email', email], { NIMBUS_PASSWORD: password });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach ${closed} (ECONNREFUSED)`);
    const wrong = await cli(['login', '--server', server.url, '--email', email], { NIMBUS_PASSWORD: 'not the password' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('INVALID_CREDENTIALS');
    const noTerminal = await cli(['login', '--server', server.url, '--email', email]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('NIMBUS_PASSWORD');
    for (const run of [badUrl, unreachable, wrong, noTerminal]) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a password change on one device signs the other out with PASSWORD_CHANGED', async () => {
    for (const device of ['laptop', 'phone']) {
      const login = await cli(['login', '--server', server.url, '--email', email, '--device', device], {
        NIMBUS_HOME: home(device),
        NIMBUS_PASSWORD: password,
      });
      expect(login.code).toBe(0);
      expect(login.stdout).toContain(`device "${device}"`);
      expect((await stat(join(home(device), 'session.json'))).mode & 0o777).toBe(0o600);
    }
    const devices = await cli(['account', 'devices', '--json'], { NIMBUS_HOME: home('laptop') });
    expect(devices.code).toBe(0);
    const listed = JSON.parse(devices.stdout) as { devices: { deviceName: string; current: boolean }[] };
    expect(listed.devices.map((d) => d.deviceName).sort()).toEqual(['laptop', 'phone']);
    expect(listed.devices.find((d) => d.current)?.deviceName).toBe('laptop');

    const change = await cli(['account', 'password'], { NIMBUS_HOME: home('laptop'), NIMBUS_PASSWORD: password, NIMBUS_NEW_PASSWORD: newPassword });
    expect(change.stderr).toBe('');
    expect(change.code).toBe(0);
    expect(change.stdout).toContain('1 other device was signed out');

    const stillIn = await cli(['account', 'devices'], { NIMBUS_HOME: home('laptop') });
    expect(stillIn.code).toBe(0);
    expect(stillIn.stdout).toContain('laptop (this device)');
    expect(stillIn.stdout).not.toContain('phone');

    const revoked = await cli(['account', 'devices'], { NIMBUS_HOME: home('phone') });
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain('password was changed');
    expect(revoked.stderr).toContain('AUTH_REVOKED: PASSWORD_CHANGED');
    expect(revoked.stderr).toContain(`nimbus login --server ${server.url} --email ${email}`);
  });

  it('turns two-factor on without a terminal (secret, then --code), which signs other devices out', async () => {
    const tablet = await cli(['login', '--server', server.url, '--email', email, '--device', 'tablet'], {
      NIMBUS_HOME: home('tablet'),
      NIMBUS_PASSWORD: newPassword,
    });
    expect(tablet.code).toBe(0);
    const setup = await cli(['account', '2fa', 'enable'], { NIMBUS_HOME: home('laptop') });
    expect(setup.code).toBe(0);
    const secret = /^Secret: (\S+)$/m.exec(setup.stdout)?.[1] ?? '';
    expect(setup.stdout).toContain('otpauth://totp/');
    expect(setup.stdout).toContain('nimbus account 2fa enable --code');
    // A code is good once: enrolment, sign-in and disabling use three successive steps (one step of drift is allowed).
    const enable = await cli(['account', '2fa', 'enable', '--code', currentTotp(secret, Date.now() - 30_000)], { NIMBUS_HOME: home('laptop') });
    expect(enable.stderr).toBe('');
    expect(enable.stdout).toContain('Two-factor authentication is on. 1 other device was signed out');
    const revoked = await cli(['account', 'devices'], { NIMBUS_HOME: home('tablet') });
    expect(revoked.stderr).toContain('AUTH_REVOKED: TWO_FACTOR_ENABLED');

    const noCode = await cli(['login', '--server', server.url, '--email', email], { NIMBUS_HOME: home('tablet'), NIMBUS_PASSWORD: newPassword });
    expect(noCode.code).toBe(2);
    expect(noCode.stderr).toContain('--otp');
    const withCode = await cli(['login', '--server', server.url, '--email', email, '--device', 'tablet', '--otp', currentTotp(secret, Date.now())], {
      NIMBUS_HOME: home('tablet'),
      NIMBUS_PASSWORD: newPassword,
    });
    expect(withCode.code).toBe(0);
    const disable = await cli(['account', '2fa', 'disable', '--code', currentTotp(secret, Date.now() + 30_000)], {
      NIMBUS_HOME: home('tablet'),
      NIMBUS_PASSWORD: newPassword,
    });
    expect(disable.stdout).toContain('Two-factor authentication is off');
    const stored = JSON.parse(await readFile(join(home('tablet'), 'session.json'), 'utf8')) as { tokens: { sessionId: string } };
    const out = await cli(['account', 'sign-out', '--device', stored.tokens.sessionId], { NIMBUS_HOME: home('laptop') });
    expect(out.stdout).toContain('1 device was signed out');
  });

  it('logs out: the session ends on the server and session.json is gone', async () => {
    const again = await cli(['login', '--server', server.url, '--email', email, '--device', 'phone'], {
      NIMBUS_HOME: home('phone'),
      NIMBUS_PASSWORD: newPassword,
    });
    expect(again.code).toBe(0);
    const logout = await cli(['logout'], { NIMBUS_HOME: home('phone') });
    expect(logout.code).toBe(0);
    await expect(stat(join(home('phone'), 'session.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const devices = await cli(['account', 'devices', '--json'], { NIMBUS_HOME: home('laptop') });
    const listed = JSON.parse(devices.stdout) as { devices: { deviceName: string }[] };
    expect(listed.devices.map((d) => d.deviceName)).toEqual(['laptop']);
    expect((await cli(['logout'], { NIMBUS_HOME: home('phone') })).stdout).toContain('Not signed in');
  });
});

/** A loopback port nothing listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
