// Account and server-policy causes end to end: a session that ran out (AUTH_EXPIRED), one ended by a password change or
// by two-factor enrolment on another device (AUTH_REVOKED with the reason), and a server that requires a newer protocol
// (CLIENT_OUTDATED). Each is named on the first failed `nimbus sync`; a running agent resumes once the condition is gone,
// the only command being the fix itself when it is one (`nimbus login`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from '../../server/src/auth/totp.js';
import { FaultDevice, provePausedAndResumed, type PausedCase } from './testing/faults/paused-case.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

/** Short request deadlines: a failure is named in a second or two, not after 30 s. */
const FAST = { NIMBUS_REQUEST_TIMEOUT_MS: '2000' };
/**
 * The session of a device left alone this long on the short-lived server has run out. Long enough that a loaded
 * machine still gets from signing in to the first sync (and from `nimbus login` to the agent's pass) within it.
 */
const REFRESH_TTL_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('account and protocol causes, proven end to end', { timeout: 90_000 }, () => {
  let root: string;
  /** One server for the revocation cases (each its own account), one whose sessions run out in seconds. */
  let server: SpawnedServer;
  let shortLived: SpawnedServer;
  /** Restarted with and without NIMBUS_MIN_CLIENT_PROTOCOL, on the same port and data. */
  let policy: SpawnedServer;
  const policyDataDirs: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-account-faults-e2e-'));
    [server, shortLived, policy] = await Promise.all([
      spawnServer(['--probe-port', 'off']),
      spawnServer(['--probe-port', 'off'], { NIMBUS_ACCESS_TTL: '1s', NIMBUS_REFRESH_TTL: `${REFRESH_TTL_MS}ms` }),
      spawnServer(['--probe-port', 'off']),
    ]);
    policyDataDirs.push(policy.dataDir);
  });
  afterAll(async () => {
    await Promise.all([server.dispose(), shortLived.dispose(), policy.dispose()]);
    await Promise.all(policyDataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await rm(root, { recursive: true, force: true });
  });

  /** A new account on `on` with two devices signed in: `paused` meets the fault, `other` receives its note. */
  async function account(on: SpawnedServer, name: string): Promise<{ email: string; password: string; paused: FaultDevice; other: FaultDevice }> {
    const email = `${name}@example.org`;
    const password = `${name} passphrase`;
    const created = await runCli(['account', 'create', '--server', on.url, '--email', email], { NIMBUS_HOME: join(root, `${name}-admin`), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    const paused = new FaultDevice(`${name}-phone`, root, FAST);
    const other = new FaultDevice(`${name}-laptop`, root, FAST);
    await Promise.all([paused.init(), other.init()]);
    // The device that meets the fault signs in last: its session is the freshest when its first sync runs.
    await other.login(on.url, email, password);
    await paused.login(on.url, email, password);
    return { email, password, paused, other };
  }

  /** `nimbus status` (the human banner) while the agent is paused, read just before the condition is removed. */
  async function banner(device: FaultDevice): Promise<string> {
    const human = await device.cli(['status']);
    expect(human.code, human.stderr).toBe(0);
    return human.stdout;
  }

  async function received(device: FaultDevice, note: string): Promise<void> {
    await device.sync();
    expect(await device.read(`Notes/${note}.md`)).toMatch(/^written before /);
  }

  const signIn: Pick<PausedCase, 'family' | 'remedies'> = { family: 'auth', remedies: ['sign-in'] };

  it.concurrent('refresh token ran out: AUTH_EXPIRED (SESSION_EXPIRED); `nimbus login` alone resumes the running agent', async () => {
    const { email, password, paused, other } = await account(shortLived, 'expired');
    let human = '';
    const proof = await provePausedAndResumed(paused, {
      note: 'expired',
      cause: 'AUTH_EXPIRED',
      ...signIn,
      // Nobody uses the session until its refresh token is past its lifetime.
      fault: () => sleep(REFRESH_TTL_MS + 1_500),
      heal: async () => {
        human = await banner(paused);
        await paused.login(shortLived.url, email, password);
      },
    });
    expect(proof.status.failure).toMatchObject({ reason: 'SESSION_EXPIRED', message: expect.stringContaining('expired') });
    expect(proof.status.failure?.remedies[0]?.command).toBe(`nimbus login --server ${shortLived.url} --email ${email}`);
    expect(proof.run.stdout).toMatch(/^Sync Paused — your session expired\./);
    expect(human).toMatch(/^Sync Paused — your session expired\./);
    expect(human).toContain(`Fix: nimbus login --server ${shortLived.url} --email ${email}`);
    // The other device's session ran out too: it signs in again and receives the note.
    await other.login(shortLived.url, email, password);
    await received(other, 'expired');
  });

  it.concurrent('password changed on another device: AUTH_REVOKED (PASSWORD_CHANGED); `nimbus login` alone resumes the running agent', async () => {
    const { email, password, paused, other } = await account(server, 'password');
    const newPassword = 'password changed passphrase';
    let human = '';
    const proof = await provePausedAndResumed(paused, {
      note: 'password',
      cause: 'AUTH_REVOKED',
      ...signIn,
      fault: async () => {
        const changed = await other.cli(['account', 'password'], { NIMBUS_PASSWORD: password, NIMBUS_NEW_PASSWORD: newPassword, NIMBUS_REQUEST_TIMEOUT_MS: undefined });
        expect(changed.code, changed.stderr).toBe(0);
      },
      heal: async () => {
        human = await banner(paused);
        await paused.login(server.url, email, newPassword);
      },
    });
    expect(proof.status.failure).toMatchObject({ reason: 'PASSWORD_CHANGED', message: expect.stringContaining('password was changed') });
    expect(proof.run.stdout).toMatch(/^Sync Paused — you were signed out \(the account's password was changed\)\./);
    expect(human).toMatch(/^Sync Paused — you were signed out \(the account's password was changed\)\./);
    expect(human).toContain(`Fix: nimbus login --server ${server.url} --email ${email}`);
    await received(other, 'password');
  });

  it.concurrent('two-factor turned on on another device: AUTH_REVOKED (TWO_FACTOR_ENABLED); `nimbus login --otp` alone resumes the running agent', async () => {
    const { email, password, paused, other } = await account(server, 'twofactor');
    let otpSecret = '';
    let human = '';
    const proof = await provePausedAndResumed(paused, {
      note: 'twofactor',
      cause: 'AUTH_REVOKED',
      ...signIn,
      fault: async () => {
        const setup = await other.cli(['account', '2fa', 'enable']);
        expect(setup.code, setup.stderr).toBe(0);
        const secret = /Secret: (\S+)/.exec(setup.stdout)?.[1] ?? '';
        // The previous 30-second step (accepted within the window), so the sign-in below may use the current one.
        const enabled = await other.cli(['account', '2fa', 'enable', '--code', currentTotp(secret, Date.now() - 30_000)]);
        expect(enabled.code, enabled.stderr).toBe(0);
        expect(enabled.stdout).toContain('1 other device was signed out');
        otpSecret = secret;
      },
      heal: async () => {
        human = await banner(paused);
        const login = await paused.cli(['login', '--server', server.url, '--email', email, '--device', paused.name, '--otp', currentTotp(otpSecret, Date.now())], {
          NIMBUS_PASSWORD: password,
          NIMBUS_REQUEST_TIMEOUT_MS: undefined,
        });
        expect(login.code, login.stderr).toBe(0);
      },
    });
    expect(proof.status.failure).toMatchObject({ reason: 'TWO_FACTOR_ENABLED', message: expect.stringContaining('two-factor authentication was turned on') });
    expect(human).toMatch(/^Sync Paused — you were signed out \(two-factor authentication was turned on\)\./);
    expect(human).toContain(`Fix: nimbus login --server ${server.url} --email ${email}`);
    await received(other, 'twofactor');
  });

  it.concurrent('server requires a newer protocol: CLIENT_OUTDATED ("update Nimbus"); restarted without it, the agent resumes alone', async () => {
    const { paused, other } = await account(policy, 'outdated');
    const port = new URL(policy.url).port;
    /** The same server (port and data) restarted with `env`. */
    const restart = async (env: NodeJS.ProcessEnv): Promise<void> => {
      await policy.stop();
      policy = await spawnServer(['--probe-port', 'off', '--port', port, '--data', policyDataDirs[0] ?? ''], env);
      policyDataDirs.push(policy.dataDir);
    };
    let human = '';
    const proof = await provePausedAndResumed(paused, {
      note: 'outdated',
      cause: 'CLIENT_OUTDATED',
      family: 'server',
      remedies: ['update-nimbus'],
      fault: () => restart({ NIMBUS_MIN_CLIENT_PROTOCOL: '2' }),
      heal: async () => {
        human = await banner(paused);
        await restart({});
      },
    });
    expect(proof.status.failure?.message).toContain('update Nimbus');
    expect(proof.run.stdout).toMatch(/^Sync Paused — this version of Nimbus is too old for the server\./);
    expect(human).toMatch(/^Sync Paused — this version of Nimbus is too old for the server\./);
    expect(human).toContain('Fix: git pull && npm install');
    await received(other, 'outdated');
  });
});
