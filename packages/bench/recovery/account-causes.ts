// Account and server-policy causes: signed out by a password change or by two-factor enrolment on another device
// (AUTH_REVOKED), a session that ran out while the laptop slept (AUTH_EXPIRED), a server requiring a newer protocol
// (CLIENT_OUTDATED). The fix is the user's `nimbus login`, or the server's admin lifting the requirement.
import { currentTotp } from '../../server/src/auth/totp.js';
import type { FaultDevice } from '../../cli/src/testing/faults/paused-case.js';
import { spawnServer } from '../../cli/src/testing/spawn-server.js';
import { pair, restartableServer, type RecoveryCause, type Stages } from './stages.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function cli(device: FaultDevice, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = await device.cli(args, { NIMBUS_REQUEST_TIMEOUT_MS: undefined, ...env });
  if (run.code !== 0) throw new Error(`nimbus ${args.join(' ')} on ${device.name}: ${run.stderr}`);
  return run.stdout;
}

/** The password changed on another device; the fix is `nimbus login` with the new one. */
const passwordChanged = (stages: Stages): RecoveryCause => ({
  label: 'password changed elsewhere → login',
  cause: 'AUTH_REVOKED',
  kind: 'auth',
  async prepare() {
    const passwords = ['revoked passphrase 0', 'revoked passphrase 1', 'revoked passphrase 2'] as const;
    const { device, other, email } = await pair(stages, stages.plain.url, 'revoked', passwords[0]);
    return {
      device,
      // Both clocks start when the command on the other device has returned (`account password`, `nimbus login`).
      async fault(round, mark) {
        await cli(other, ['account', 'password'], { NIMBUS_PASSWORD: passwords[round - 1], NIMBUS_NEW_PASSWORD: passwords[round] });
        mark();
        await device.write(`Notes/revoked-${round}.md`, 'written after the password changed\n');
      },
      async heal(round, mark) {
        await device.login(stages.plain.url, email, passwords[round]);
        mark();
      },
      close: async () => undefined,
    };
  },
});

const STEP_MS = 30_000;

/**
 * An authenticator app for one account: each code from a later 30-second step than the last (the server takes a step
 * once), waiting for the next step when the one after the current is used up.
 */
class Authenticator {
  secret = '';
  private lastStep = -Infinity;

  async code(): Promise<string> {
    const now = (): number => Math.floor(Date.now() / STEP_MS);
    const step = Math.max(this.lastStep + 1, now());
    // One step of drift is accepted: a code from the next step is fine, one from further on is not yet.
    if (step > now() + 1) await sleep((step - 1) * STEP_MS - Date.now() + 100);
    this.lastStep = step;
    return currentTotp(this.secret, step * STEP_MS + STEP_MS / 2);
  }
}

/**
 * Two-factor authentication turned on from another device (which signs this one out); the fix is `nimbus login
 * --otp`. The second round turns it off and on again (a new secret).
 */
const twoFactorEnabled = (stages: Stages): RecoveryCause => ({
  label: '2FA turned on elsewhere → login --otp',
  cause: 'AUTH_REVOKED',
  kind: 'auth',
  async prepare() {
    const password = 'two factor passphrase';
    const { device, other, email } = await pair(stages, stages.plain.url, 'twofactor', password);
    const app = new Authenticator();
    let loginCode = '';
    return {
      device,
      async fault(round, mark) {
        if (round === 2) await cli(other, ['account', '2fa', 'disable', '--code', await app.code()], { NIMBUS_PASSWORD: password });
        const setup = await cli(other, ['account', '2fa', 'enable']);
        app.secret = /Secret: (\S+)/.exec(setup)?.[1] ?? '';
        await cli(other, ['account', '2fa', 'enable', '--code', await app.code()]);
        mark();
        await device.write(`Notes/twofactor-${round}.md`, 'written after two-factor was turned on\n');
      },
      // The next code may be half a minute away: the user reads it off the app before the clock starts.
      async beforeHeal() {
        loginCode = await app.code();
      },
      async heal(_round, mark) {
        await cli(device, ['login', '--server', stages.plain.url, '--email', email, '--device', device.name, '--otp', loginCode], { NIMBUS_PASSWORD: password });
        mark();
      },
      close: async () => undefined,
    };
  },
});

/** Sessions of the short-lived server run out after this long unused (the real default is 90 days). */
const REFRESH_TTL_MS = 10_000;

/**
 * The session ran out while nobody used it: a lone device left alone, or the agent's laptop asleep (the process
 * stopped with SIGSTOP, continued after the session's lifetime). The clock starts when it wakes; the fix is `nimbus login`.
 */
const sessionExpired = (stages: Stages): RecoveryCause => ({
  label: 'session expired while asleep → login',
  cause: 'AUTH_EXPIRED',
  kind: 'auth',
  async prepare() {
    const server = await spawnServer(['--probe-port', 'off'], { NIMBUS_ACCESS_TTL: '1s', NIMBUS_REFRESH_TTL: `${REFRESH_TTL_MS}ms` });
    const password = 'expired passphrase';
    const { device, email } = await pair(stages, server.url, 'expired', password);
    return {
      device,
      async fault(round, mark, agent) {
        if (agent) process.kill(agent.pid, 'SIGSTOP');
        try {
          await sleep(REFRESH_TTL_MS + 1_500);
        } finally {
          if (agent) process.kill(agent.pid, 'SIGCONT');
        }
        mark();
        await device.write(`Notes/expired-${round}.md`, 'written after the session ran out\n');
      },
      async heal(_round, mark) {
        await device.login(server.url, email, password);
        mark();
      },
      close: () => server.dispose(),
    };
  },
});

/** The server restarted requiring protocol 2 (CLIENT_OUTDATED), then restarted without the requirement. */
const clientOutdated = (stages: Stages): RecoveryCause => ({
  label: 'server requires a newer protocol → requirement lifted',
  cause: 'CLIENT_OUTDATED',
  kind: 'server',
  async prepare() {
    const server = await restartableServer([]);
    const { device } = await pair(stages, server.url, 'outdated', 'outdated passphrase');
    return {
      device,
      async fault(round, mark) {
        await server.restart([], { NIMBUS_MIN_CLIENT_PROTOCOL: '2' });
        mark();
        await device.write(`Notes/outdated-${round}.md`, 'written while the server wanted a newer Nimbus\n');
      },
      async heal(_round, mark) {
        await server.restart([], {});
        mark();
      },
      close: () => server.close(),
    };
  },
});

export function accountCauses(stages: Stages): RecoveryCause[] {
  return [passwordChanged, twoFactorEnabled, sessionExpired, clientOutdated].map((make) => make(stages));
}
