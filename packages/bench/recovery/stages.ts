// What the recovery bench's causes share: the shape of a cause, the servers and accounts, and the agent handle
// for the causes that act on a running agent.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCertificate, makeCertificateAuthority, type TestCertificate } from '../../cli/src/testing/faults/certificates.js';
import { spawnHttpsServer, spawnTinyQuotaServer } from '../../cli/src/testing/faults/fault-servers.js';
import { FaultDevice, FaultStage } from '../../cli/src/testing/faults/paused-case.js';
import { runCli, spawnServer, type SpawnedServer } from '../../cli/src/testing/spawn-server.js';

export type CauseKind = 'network' | 'storage' | 'auth' | 'server' | 'device';

/** The agent of the second round, for the causes that act on it: a user restarting it, a laptop going to sleep. */
export interface RunningAgent {
  readonly pid: number;
  /** Stops it and starts it again with `env` added (what a user does after changing the agent's environment). */
  restart(env?: NodeJS.ProcessEnv): Promise<void>;
}

/** One cause set up on a device of its own. `round` is 1 (the lone sync) or 2 (the agent, passed as `agent`). */
export interface PreparedCause {
  readonly device: FaultDevice;
  /**
   * Makes the condition real, including the change that cannot go. The clock starts at the call, or at `mark`
   * (when the other device's `nimbus account password` has returned, when the restarted server listens).
   */
  fault(round: 1 | 2, mark: () => void, agent?: RunningAgent): Promise<void>;
  /**
   * Removes it (the user's one command, when the fix is one). The clock starts at the call, or at `mark`: just
   * before the decisive step (the other device's sync that sends the deletion, the admin's request, the agent's
   * restart), or when `nimbus login` or `nimbus config set` has returned.
   */
  heal(round: 1 | 2, mark: () => void, agent?: RunningAgent): Promise<void>;
  /** What the user has at hand before the removal starts, not timed (the authenticator's next code). */
  beforeHeal?(round: 1 | 2): Promise<void>;
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

/** Opened on first use (a BENCH_CAUSES run pays only for what it times), closed with the rest. */
export class Lazy<T> {
  private value: Promise<T> | undefined;
  constructor(
    private readonly open: () => Promise<T>,
    private readonly dispose: (value: T) => Promise<void>,
  ) {}

  get(): Promise<T> {
    this.value ??= this.open();
    return this.value;
  }

  async close(): Promise<void> {
    if (this.value) await this.dispose(await this.value);
  }
}

/** `nimbus serve` over HTTPS signed by a CA the devices trust (NODE_EXTRA_CA_CERTS in `env`), behind fault proxies. */
export interface TlsStage {
  readonly stage: FaultStage;
  /** What a portal or an intercepting proxy has for an HTTPS port: its own certificate, trusted by no one here. */
  readonly intercepting: TestCertificate;
  /** A folder for the cause's own files (a faked clock's offset). */
  readonly dir: string;
}

/** The servers and accounts the causes share. */
export interface Stages {
  readonly network: FaultStage;
  readonly plain: SpawnedServer;
  readonly tinyQuota: SpawnedServer;
  readonly tls: Lazy<TlsStage>;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}

const DAY_MS = 86_400_000;

async function openTlsStage(root: string, env: NodeJS.ProcessEnv): Promise<TlsStage> {
  const dir = await mkdtemp(join(root, 'tls-'));
  const ca = makeCertificateAuthority();
  await writeFile(join(dir, 'ca.pem'), ca.cert);
  // Valid from an hour ago to a day from now: a clock days ahead reads it as expired (CLOCK_SKEW).
  const certificate = makeCertificate({ commonName: '127.0.0.1', ca, notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + DAY_MS) });
  const server = await spawnHttpsServer(certificate, dir);
  const stage = await FaultStage.open(server, { ...env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
  return { stage, intercepting: makeCertificate({ commonName: 'portal.example', altNames: ['portal.example'] }), dir };
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
  const tls = new Lazy(() => openTlsStage(root, env), (t) => t.stage.dispose());
  return { network, plain, tinyQuota, tls, root, env };
}

export async function closeStages(stages: Stages): Promise<void> {
  await Promise.all([stages.network.dispose(), stages.plain.dispose(), stages.tinyQuota.dispose(), stages.tls.close()]);
}

export const ADMIN = { email: 'admin@example.org', password: 'admin passphrase' };

export async function createAccount(server: string, email: string, password: string, home: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const created = await runCli(['account', 'create', '--server', server, '--email', email], { ...env, NIMBUS_HOME: home, NIMBUS_PASSWORD: password });
  if (created.code !== 0) throw new Error(`account create ${email}: ${created.stderr}`);
}

export interface PairOptions {
  /** Added to every CLI run of both devices (a CA to trust). */
  readonly env?: NodeJS.ProcessEnv;
  /** Runs on `device` once its folders exist, before it signs in (a small disk mounted under its library). */
  readonly beforeLogin?: (device: FaultDevice) => Promise<void>;
}

/** Two devices of a new account: `device` meets the condition, `other` changes things from elsewhere. */
export async function pair(
  stages: Stages,
  server: string,
  name: string,
  password: string,
  options: PairOptions = {},
): Promise<{ device: FaultDevice; other: FaultDevice; email: string }> {
  const email = `${name}@example.org`;
  const env = { ...stages.env, ...options.env };
  await createAccount(server, email, password, join(stages.root, `${name}-admin`), env);
  const device = new FaultDevice(`${name}-device`, stages.root, env);
  const other = new FaultDevice(`${name}-other`, stages.root, env);
  await Promise.all([device.init(), other.init()]);
  await options.beforeLogin?.(device);
  await other.login(server, email, password);
  await device.login(server, email, password);
  return { device, other, email };
}

/** A server the cause restarts on the same port and data with another environment or certificate. */
export interface RestartableServer {
  readonly url: string;
  restart(args?: string[], env?: NodeJS.ProcessEnv): Promise<void>;
  close(): Promise<void>;
}

export async function restartableServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RestartableServer> {
  let server = await spawnServer(['--probe-port', 'off', ...args], env);
  const dataDir = server.dataDir;
  const port = new URL(server.url).port;
  return {
    url: server.url,
    async restart(nextArgs = args, nextEnv = {}) {
      await server.stop();
      // spawnServer makes a data folder of its own each time; only the first one holds the data.
      const unused = server.dataDir === dataDir ? undefined : server.dataDir;
      server = await spawnServer(['--probe-port', 'off', ...nextArgs, '--port', port, '--data', dataDir], nextEnv);
      if (unused !== undefined) await rm(unused, { recursive: true, force: true });
    },
    async close() {
      await server.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
