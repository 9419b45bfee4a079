// The stage most end-to-end tests start from: a server process, one account, and devices signed in to it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device } from './device.js';
import { runCli, spawnServer, type SpawnedServer } from './spawn-server.js';

export interface AccountStage {
  readonly server: SpawnedServer;
  readonly root: string;
  readonly email: string;
  readonly password: string;
  /** The devices, in the order named, each signed in. */
  readonly devices: Device[];
  dispose(): Promise<void>;
}

/** Starts a server (`serverArgs`), creates the account as its admin and signs in one device per name. */
export async function openAccountStage(label: string, deviceNames: readonly string[], account: { email: string; password: string }, serverArgs = ['--probe-port', 'off']): Promise<AccountStage> {
  const server = await spawnServer(serverArgs);
  const root = await mkdtemp(join(tmpdir(), `nimbus-${label}-`));
  const dispose = async (): Promise<void> => {
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const created = await runCli(['account', 'create', '--server', server.url, '--email', account.email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: account.password });
    if (created.code !== 0) throw new Error(`account create failed: ${created.stderr}`);
    const devices = deviceNames.map((name) => new Device(name, root));
    for (const device of devices) {
      await device.init();
      await device.login(server.url, account.email, account.password);
    }
    return { server, root, ...account, devices, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
