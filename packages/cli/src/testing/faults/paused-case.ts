// One cause proven end to end: a real fault between a device and `nimbus serve`, the pause it names, and the agent's own recovery.
import type { SyncStatusJson } from '@nimbus/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Device, type CliResult } from '../device.js';
import { runCli, type SpawnedServer } from '../spawn-server.js';
import { FaultProxy, type FaultProxyOptions } from './fault-proxy.js';

/**
 * A device whose every CLI run gets `base` in its environment (a short request timeout, a CA to trust).
 */
export class FaultDevice extends Device {
  constructor(
    name: string,
    root: string,
    private readonly base: NodeJS.ProcessEnv,
  ) {
    super(name, root);
  }

  override env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return super.env({ ...this.base, ...extra });
  }

  /** Signing in hashes a password on the server: under a loaded CI machine it gets the normal deadline, not the test's short one. */
  override async login(server: string, email: string, password: string): Promise<void> {
    const result = await this.cli(['login', '--server', server, '--email', email, '--device', this.name], {
      NIMBUS_PASSWORD: password,
      NIMBUS_REQUEST_TIMEOUT_MS: undefined,
    });
    if (result.code !== 0) throw new Error(`login on ${this.name} failed: ${result.stderr}`);
  }

  async status(): Promise<SyncStatusJson> {
    const run = await this.cli(['status', '--json']);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as SyncStatusJson;
  }
}

/** The sync port and, one port above it, the plain-HTTP probe port: each behind its own fault proxy, as a client finds them. */
export interface ProxyPair {
  readonly sync: FaultProxy;
  readonly probe: FaultProxy;
  setMode(sync: Parameters<FaultProxy['setMode']>[0], probe?: Parameters<FaultProxy['setMode']>[0]): Promise<void>;
  close(): Promise<void>;
}

/** Proxies to the server's sync and probe ports, the probe proxy on the sync proxy's port + 1 (the client's convention). */
export async function startProxyPair(
  syncTarget: string,
  probeTarget: string,
  syncOptions: Omit<FaultProxyOptions, 'target'> = {},
): Promise<ProxyPair> {
  for (let attempt = 0; ; attempt++) {
    const sync = await FaultProxy.start({ ...syncOptions, target: syncTarget });
    try {
      const probe = await FaultProxy.start({ target: probeTarget, port: sync.port + 1 });
      return {
        sync,
        probe,
        async setMode(syncMode, probeMode = syncMode) {
          await Promise.all([sync.setMode(syncMode), probe.setMode(probeMode)]);
        },
        async close() {
          await Promise.all([sync.close(), probe.close()]);
        },
      };
    } catch (error) {
      await sync.close();
      if (attempt >= 5) throw error; // the port above was taken: try another pair
    }
  }
}

/** One server and one account that many fault cases share, each with a device of its own behind its own proxies. */
export class FaultStage {
  private constructor(
    readonly server: SpawnedServer,
    readonly root: string,
    private readonly email: string,
    private readonly password: string,
    /** What every device's CLI runs get: a short request deadline, a CA to trust. */
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(server: SpawnedServer, env: NodeJS.ProcessEnv): Promise<FaultStage> {
    const root = await mkdtemp(join(tmpdir(), 'nimbus-faults-e2e-'));
    const email = 'faults@example.org';
    const password = 'fault stage passphrase';
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { ...env, NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    return new FaultStage(server, root, email, password, env);
  }

  /** A device that reaches the server directly (the one that receives). */
  async directDevice(name: string): Promise<FaultDevice> {
    const device = new FaultDevice(name, this.root, this.env);
    await device.init();
    await device.login(this.server.url, this.email, this.password);
    return device;
  }

  /**
   * A device signed in through a proxy pair of its own (`scheme` of the sync port as the server serves it); `env`
   * is added to its CLI runs (a faked clock).
   */
  async proxiedDevice(
    name: string,
    syncOptions: Omit<FaultProxyOptions, 'target'> = {},
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ device: FaultDevice; proxies: ProxyPair }> {
    if (this.server.probeUrl === null) throw new Error('the server has no probe port');
    const proxies = await startProxyPair(this.server.url, this.server.probeUrl, syncOptions);
    const device = new FaultDevice(name, this.root, { ...this.env, ...env });
    await device.init();
    await device.login(proxies.sync.url(new URL(this.server.url).protocol === 'https:' ? 'https' : 'http'), this.email, this.password);
    return { device, proxies };
  }

  async dispose(): Promise<void> {
    await this.server.dispose();
    await rm(this.root, { recursive: true, force: true });
  }
}

export interface PausedCase {
  /** The note written before the fault, which must survive it and reach the other device. */
  readonly note: string;
  /** Makes the fault real. */
  readonly fault: () => Promise<void>;
  /** Removes it. */
  readonly heal: () => Promise<void>;
  readonly cause: string;
  readonly family: string;
  /** The remedy ids, in order. */
  readonly remedies: readonly string[];
  /** Read `status --json` while the agent is paused (it must stay paused long enough: a Retry-After). */
  readonly readAgentStatus?: boolean;
}

export interface PausedProof {
  /** `nimbus sync` under the fault. */
  readonly run: CliResult;
  /** `status --json` right after it: the first failed attempt. */
  readonly status: SyncStatusJson;
  /** `status --json` while the agent is paused, before the fault is removed (when the case asked for it). */
  readonly agentStatus: SyncStatusJson | undefined;
  /** `status --json` once the agent is up to date again. */
  readonly resumed: SyncStatusJson;
}

type Failure = NonNullable<SyncStatusJson['failure']>;

/**
 * Writes a note, makes the fault, and checks `nimbus sync`: exit 3, the cause and family on this first attempt, the
 * remedies, the note still pending. Then a `nimbus agent` is started under the fault, the fault is removed, and the
 * agent must drain the outbox by itself. Returns what it saw for the case's own checks.
 */
export async function provePausedAndResumed(device: FaultDevice, c: PausedCase): Promise<PausedProof> {
  // A device that has synced before meets the fault (a first pass pulls before it scans, and would stop before it).
  await device.sync();
  await device.write(`Notes/${c.note}.md`, `written before ${c.cause}\n`);
  await c.fault();
  const run = await device.cli(['sync']);

  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
  expect(run.stdout).toMatch(/^Sync Paused — /);
  const status = await device.status();
  expect(status.state).toBe('paused');
  const failure = status.failure as Failure;
  expect({ cause: failure.cause, family: failure.family }).toEqual({ cause: c.cause, family: c.family });
  expect(failure.remedies.map((r) => r.id)).toEqual(c.remedies);
  expect(status.pending.notes).toBeGreaterThanOrEqual(1);

  const agent = device.agent();
  try {
    // The agent names the same cause (its banner line); a retry pass shows as syncing while it runs, so the stored
    // status is read only when the case needs it (a long Retry-After keeps the agent paused).
    const headline = /^Sync Paused — [^.]+\./.exec(run.stdout)?.[0] ?? 'Sync Paused — ';
    await agent.waitFor(new RegExp(escapeRegExp(headline)), 30_000);
    const agentStatus = c.readAgentStatus ? await until(device, (s) => s.state === 'paused', 30_000) : undefined;
    if (agentStatus) expect(agentStatus.failure?.cause).toBe(c.cause);
    const mark = agent.output().length;
    await c.heal();
    // No command from the user: the agent alone gets back up to date, with the outbox drained.
    await agent.waitFor(/Up to date/, 30_000, mark);
    const resumed = await device.status();
    // Devices of other cases share the account: their notes may already be coming down again (syncing).
    expect(resumed.failure).toBeNull();
    expect(Object.values(resumed.pending).every((n) => n === 0), JSON.stringify(resumed.pending)).toBe(true);
    return { run, status, agentStatus, resumed };
  } finally {
    await agent.stop();
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Polls `status --json` until `done` says so. */
async function until(device: FaultDevice, done: (status: SyncStatusJson) => boolean, timeoutMs: number): Promise<SyncStatusJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await device.status();
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`${device.name} never got there; last status:\n${JSON.stringify(status, null, 2)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
