// The causes the recovery bench times: each makes its real condition twice (once for a lone `nimbus sync`, once
// under a running agent) and removes it the way it goes away in life.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FaultModeInput } from '../../cli/src/testing/faults/fault-mode.js';
import { spawnTinyQuotaServer } from '../../cli/src/testing/faults/fault-servers.js';
import { FaultDevice, FaultStage, type ProxyPair } from '../../cli/src/testing/faults/paused-case.js';
import { runCli, spawnServer, type SpawnedServer } from '../../cli/src/testing/spawn-server.js';

export type CauseKind = 'network' | 'storage' | 'auth';

/** One cause set up on a device of its own. `round` is 1 (the lone sync) or 2 (the agent). */
export interface PreparedCause {
  readonly device: FaultDevice;
  /**
   * Makes the condition real, including the change that cannot go. The clock starts at the call, or at `mark`
   * (when the other device's `nimbus account password` has returned).
   */
  fault(round: 1 | 2, mark: () => void): Promise<void>;
  /**
   * Removes it (the user's one command, when the fix is one). The clock starts at the call, or at `mark`: just
   * before the decisive step (the other device's sync that sends the deletion, the admin's request), or when
   * `nimbus login` has returned.
   */
  heal(round: 1 | 2, mark: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface RecoveryCause {
  readonly label: string;
  readonly cause: string;
  readonly kind: CauseKind;
  /** Seconds within which the agent must name it, when the target is a figure rather than "one attempt". */
  readonly nameWithinS?: number;
  prepare(): Promise<PreparedCause>;
}

/** The servers and accounts the causes share. */
export interface Stages {
  readonly network: FaultStage;
  readonly plain: SpawnedServer;
  readonly tinyQuota: SpawnedServer;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}

export async function openStages(root: string, env: NodeJS.ProcessEnv): Promise<Stages> {
  const [networkServer, plain, tinyQuota] = await Promise.all([
    spawnServer(),
    spawnServer(['--probe-port', 'off']),
    spawnTinyQuotaServer('64KB', ['--probe-port', 'off']),
  ]);
  const network = await FaultStage.open(networkServer, env);
  // The first account of a server is its admin: the one that raises quotas.
  await createAccount(tinyQuota.url, ADMIN.email, ADMIN.password, join(root, 'admin'));
  return { network, plain, tinyQuota, root, env };
}

export async function closeStages(stages: Stages): Promise<void> {
  await Promise.all([stages.network.dispose(), stages.plain.dispose(), stages.tinyQuota.dispose()]);
}

const ADMIN = { email: 'admin@example.org', password: 'admin passphrase' };

async function createAccount(server: string, email: string, password: string, home: string): Promise<void> {
  const created = await runCli(['account', 'create', '--server', server, '--email', email], { NIMBUS_HOME: home, NIMBUS_PASSWORD: password });
  if (created.code !== 0) throw new Error(`account create ${email}: ${created.stderr}`);
}

/** A device behind its own proxy pair; the fault sets both proxies, the heal sets them back to pass. */
function proxied(label: string, cause: string, sync: FaultModeInput, probe: FaultModeInput, nameWithinS?: number): (stages: Stages) => RecoveryCause {
  return (stages) => ({
    label,
    cause,
    kind: 'network',
    ...(nameWithinS !== undefined ? { nameWithinS } : {}),
    async prepare() {
      const { device, proxies }: { device: FaultDevice; proxies: ProxyPair } = await stages.network.proxiedDevice(label.replace(/\W+/g, '-'));
      return {
        device,
        async fault(round) {
          await proxies.setMode(sync, probe);
          await device.write(`Notes/${device.name}-${round}.md`, `written under ${cause}\n`);
        },
        heal: () => proxies.setMode('pass'),
        close: () => proxies.close(),
      };
    },
  });
}

/** Two devices of a new account: `device` meets the condition, `other` changes things from elsewhere. */
async function pair(stages: Stages, server: string, name: string, password: string): Promise<{ device: FaultDevice; other: FaultDevice; email: string }> {
  const email = `${name}@example.org`;
  await createAccount(server, email, password, join(stages.root, `${name}-admin`));
  const device = new FaultDevice(`${name}-device`, stages.root, stages.env);
  const other = new FaultDevice(`${name}-other`, stages.root, stages.env);
  await Promise.all([device.init(), other.init()]);
  await other.login(server, email, password);
  await device.login(server, email, password);
  return { device, other, email };
}

const FILE_BYTES = 40_000;

/** Storage full (64 KB quota): another device deletes the file that holds the space. */
const freedByDelete = (stages: Stages): RecoveryCause => ({
  label: 'storage full → file deleted elsewhere',
  cause: 'QUOTA_EXCEEDED',
  kind: 'storage',
  async prepare() {
    const { device, other } = await pair(stages, stages.tinyQuota.url, 'freed', 'freed passphrase');
    await other.write('Drive/hold-0.bin', randomBytes(FILE_BYTES));
    await other.sync();
    return {
      device,
      // The space is held by one file; a second does not fit.
      fault: (round) => device.write(`Drive/hold-${round}.bin`, randomBytes(FILE_BYTES)),
      async heal(round, mark) {
        await other.sync();
        await other.remove(`Drive/hold-${round - 1}.bin`);
        mark();
        await other.sync();
      },
      close: async () => undefined,
    };
  },
});

/** Storage full (64 KB quota): the admin raises the account's quota. */
const raisedByAdmin = (stages: Stages): RecoveryCause => ({
  label: 'storage full → admin raises quota',
  cause: 'QUOTA_EXCEEDED',
  kind: 'storage',
  async prepare() {
    const password = 'raised passphrase';
    const { device, email } = await pair(stages, stages.tinyQuota.url, 'raised', password);
    await device.write('Drive/base.bin', randomBytes(FILE_BYTES));
    await device.sync();
    const quotas = { 1: 128_000, 2: 256_000 } as const;
    return {
      device,
      // 40 + 40 KB > 64 KB; then 80 + 60 KB > 128 KB.
      fault: (round) => device.write(`Drive/more-${round}.bin`, randomBytes(round === 1 ? FILE_BYTES : 60_000)),
      heal: (round, mark) => setQuota(stages.tinyQuota.url, email, password, quotas[round], mark),
      close: async () => undefined,
    };
  },
});

/** The admin sets `email`'s quota over the API (the account's id from its own sign-in). */
async function setQuota(server: string, email: string, password: string, quotaBytes: number, mark: () => void): Promise<void> {
  const signIn = async (who: string, secret: string) => {
    const answer = await fetch(`${server}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: who, password: secret }) });
    if (answer.status !== 200) throw new Error(`sign-in ${who}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as { accessToken: string; account: { id: string } };
  };
  const [target, admin] = await Promise.all([signIn(email, password), signIn(ADMIN.email, ADMIN.password)]);
  mark();
  const set = await fetch(`${server}/v1/admin/accounts/${target.account.id}/quota`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
    body: JSON.stringify({ quotaBytes }),
  });
  if (set.status !== 200) throw new Error(`quota: ${set.status} ${await set.text()}`);
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
        const changed = await other.cli(['account', 'password'], { NIMBUS_PASSWORD: passwords[round - 1], NIMBUS_NEW_PASSWORD: passwords[round], NIMBUS_REQUEST_TIMEOUT_MS: undefined });
        if (changed.code !== 0) throw new Error(`account password: ${changed.stderr}`);
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

export function recoveryCauses(stages: Stages): RecoveryCause[] {
  return [
    proxied('server refused', 'SERVER_UNAVAILABLE', 'refuse', 'refuse'),
    proxied('server black-holed', 'NETWORK_OFFLINE', 'blackhole', 'blackhole'),
    proxied('captive portal (redirect)', 'NETWORK_CAPTIVE_PORTAL', { kind: 'portal', answer: 'redirect' }, { kind: 'portal', answer: 'redirect' }, 5),
    proxied('sync port refused, probe answers', 'NETWORK_BLOCKED', 'refuse', 'pass'),
    proxied('503, Retry-After: 1', 'SERVER_UNAVAILABLE', { kind: 'status', status: 503, retryAfter: 1 }, 'pass'),
    proxied('429, Retry-After: 1', 'RATE_LIMITED', { kind: 'status', status: 429, retryAfter: 1 }, 'pass'),
  ].map((make) => make(stages)).concat([freedByDelete(stages), raisedByAdmin(stages), passwordChanged(stages)]);
}
