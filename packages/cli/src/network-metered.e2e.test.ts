// The operating system's metered hint end to end: a stand-in `nmcli` first on PATH (a real process the CLI and the
// agent run) says whether the network is metered, as NetworkManager's would. `nimbus network` and `status` show who
// decided; the user's `nimbus network metered on|off` wins, `auto` follows the system again; a running agent follows
// the system's change by itself. Without nmcli nothing is said and the network is not metered.
import type { SyncStatusJson } from '@nimbus/protocol';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

/** What `nmcli -t -f GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED device show` prints, loopback first. */
const nmcliOutput = (wifiMetered: string): string =>
  [
    'GENERAL.DEVICE:lo',
    'GENERAL.TYPE:loopback',
    'GENERAL.STATE:100 (connected (externally))',
    'GENERAL.METERED:no',
    '',
    'GENERAL.DEVICE:wlp2s0',
    'GENERAL.TYPE:wifi',
    'GENERAL.STATE:100 (connected)',
    `GENERAL.METERED:${wifiMetered}`,
    '',
    'GENERAL.DEVICE:enp0s31f6',
    'GENERAL.TYPE:ethernet',
    'GENERAL.STATE:20 (unavailable)',
    'GENERAL.METERED:unknown',
    '',
  ].join('\n');

interface NetworkJson {
  metered: boolean;
  source: string;
  system?: { by: string; says: string; metered: boolean };
  waitingForWifi: string[];
}

describe('the system metered hint (NetworkManager through nmcli)', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let device: Device;
  /** The stand-in nmcli prints this file. */
  let said: string;
  /** PATH with the stand-in first. */
  let withNmcli: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [server, root] = await Promise.all([spawnServer(['--probe-port', 'off']), mkdtemp(join(tmpdir(), 'nimbus-metered-e2e-'))]);
    const bin = join(root, 'bin');
    await mkdir(bin);
    said = join(root, 'nmcli-says');
    await writeFile(said, nmcliOutput('yes (guessed)'));
    // Answers only the question Nimbus asks; anything else is a usage error, as nmcli's would be.
    await writeFile(join(bin, 'nmcli'), `#!/bin/sh\n[ "$1 $2 $3 $4 $5" = "-t -f GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED device show" ] || exit 2\ncat '${said}'\n`);
    await chmod(join(bin, 'nmcli'), 0o755);
    withNmcli = { PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` };
    const email = 'metered@example.org';
    const password = 'metered passphrase';
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    device = new Device('laptop', root);
    await device.init();
    await device.login(server.url, email, password);
    expect((await device.cli(['services', 'enable', 'drive', '--cellular', 'off'])).code).toBe(0);
  });
  afterAll(async () => {
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const network = async (env: NodeJS.ProcessEnv = withNmcli): Promise<NetworkJson> => {
    const run = await device.cli(['network', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as NetworkJson;
  };
  const status = async (): Promise<SyncStatusJson> => JSON.parse((await device.cli(['status', '--json'])).stdout) as SyncStatusJson;

  it('without nmcli: no hint, not metered, nothing printed about it', async () => {
    // A PATH with nothing on it: this machine's own nmcli, if it had one, is out of the way.
    const run = await device.cli(['network', '--json'], { PATH: join(root, 'no-bin') });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ metered: false, source: 'none', waitingForWifi: [] });
  });

  it('NetworkManager guesses metered: Drive waits for Wi-Fi, and network and status say who decided', async () => {
    expect(await network()).toEqual({
      metered: true,
      source: 'system',
      system: { by: 'NetworkManager', says: 'yes (guessed)', metered: true },
      waitingForWifi: ['drive'],
    });
    expect((await device.cli(['network'], withNmcli)).stdout).toMatch(/^Network: metered — drive wait for Wi-Fi.*\nDecided by: NetworkManager says "yes \(guessed\)"\.\n$/);
    await device.write('Drive/big.bin', 'waits for Wi-Fi\n');
    await device.write('Notes/small.md', 'goes now\n');
    const run = await device.cli(['sync'], withNmcli);
    expect(run.code, run.stdout).toBe(0); // waiting for Wi-Fi is not a failure
    const now = await status();
    expect(now.network).toMatchObject({ metered: true, source: 'system' });
    expect(now.pending).toMatchObject({ drive: 1, notes: 0 });
    expect((await device.cli(['status'])).stdout).toContain('Network: metered — NetworkManager says "yes (guessed)"');
  });

  it('the user says off: that wins over the system; auto follows the system again', async () => {
    const off = await device.cli(['network', 'metered', 'off'], withNmcli);
    expect(off.stdout).toMatch(/^Network: not metered — .*\nDecided by: your setting \(nimbus network metered auto hands it back to the system, where NetworkManager says "yes \(guessed\)"\)\.\n$/);
    expect(await network()).toMatchObject({ metered: false, source: 'setting', system: { says: 'yes (guessed)' } });
    expect((await status()).network).toMatchObject({ metered: false, source: 'setting' });
    const auto = await device.cli(['network', 'metered', 'auto'], withNmcli);
    expect(auto.code, auto.stderr).toBe(0);
    expect(await network()).toMatchObject({ metered: true, source: 'system' });
    const wrong = await device.cli(['network', 'metered', 'sometimes'], withNmcli);
    expect({ code: wrong.code, stderr: wrong.stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(/on, off or auto/) });
  });

  it('a running agent follows the system: off the hotspot, Drive goes by itself', async () => {
    const agent = device.agent([], withNmcli);
    try {
      await agent.waitFor(/waiting for Wi-Fi|Up to date/i);
      expect((await status()).pending['drive']).toBe(1);
      await writeFile(said, nmcliOutput('no'));
      const end = Date.now() + 45_000;
      let now = await status();
      while ((now.pending['drive'] !== 0 || now.network?.metered !== false) && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        now = await status();
      }
      expect(now.network).toMatchObject({ metered: false, source: 'system', system: { says: 'no' } });
      expect(now.pending['drive']).toBe(0);
    } finally {
      await agent.stop();
    }
  });
});
