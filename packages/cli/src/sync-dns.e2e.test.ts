// DNS_FAILURE end to end: a server reached by a name the system resolver cannot look up (`.invalid`) but the user's
// DNS servers (a DNS stub on loopback) can. Without them sync pauses with DNS_FAILURE and says `nimbus config set dns`;
// `nimbus config set dns` is the fix, and a running agent resumes with it by itself (a configuration change).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsStub } from './testing/faults/dns-stub.js';
import { FaultDevice, provePausedAndResumed } from './testing/faults/paused-case.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

/** Reserved by RFC 2606: no system resolver ever answers it, and it fails at once (no query leaves the machine). */
const NAME = 'nimbus-e2e.invalid';
const FAST = { NIMBUS_REQUEST_TIMEOUT_MS: '2000' };
const EMAIL = 'dns@example.org';
const PASSWORD = 'dns case passphrase';

interface Doctor {
  checks: { id: string; status: string; detail: string; fix: string | null; cause?: string }[];
  ok: boolean;
}

describe('DNS_FAILURE, fixed by nimbus config set dns', { timeout: 90_000 }, () => {
  let server: SpawnedServer;
  let stub: DnsStub;
  let root: string;
  let byName: string;

  beforeAll(async () => {
    [server, stub, root] = await Promise.all([spawnServer(), DnsStub.start({ records: { [NAME]: '127.0.0.1' } }), mkdtemp(join(tmpdir(), 'nimbus-dns-e2e-'))]);
    byName = server.url.replace('127.0.0.1', NAME);
    const created = await runCli(['account', 'create', '--server', server.url, '--email', EMAIL], { ...FAST, NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: PASSWORD });
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await Promise.all([server.dispose(), stub.close(), rm(root, { recursive: true, force: true })]);
  });

  it('a login by a name only the configured DNS knows: refused with the fix, then done once the DNS is set', async () => {
    const device = new FaultDevice('first-login', root, FAST);
    await device.init();
    const refused = await device.cli(['login', '--server', byName, '--email', EMAIL], { NIMBUS_PASSWORD: PASSWORD });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ENOTFOUND.*can't be looked up \(DNS\).*nimbus config set dns/);

    const bad = await device.cli(['config', 'set', 'dns', 'dns.example']);
    expect({ code: bad.code, lines: bad.stderr.trim().split('\n').length }).toEqual({ code: 2, lines: 1 });
    const set = await device.cli(['config', 'set', 'dns', stub.server]);
    expect(set.code, set.stderr).toBe(0);
    const got = await device.cli(['config', 'get', 'dns', '--json']);
    expect(JSON.parse(got.stdout)).toEqual({ dns: [stub.server] });
    await device.login(byName, EMAIL, PASSWORD);
    await device.sync();
    expect(stub.queriesFor(NAME)).toBeGreaterThan(0);
    // A device setting, not the account's: forgetting the sync state keeps it.
    const forgot = await device.cli(['logout', '--forget']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(JSON.parse((await device.cli(['config', 'get', '--json'])).stdout)).toEqual({ dns: [stub.server] });
  });

  it('sync pauses with DNS_FAILURE naming nimbus config set dns; setting the DNS resumes a running agent by itself', async () => {
    const device = new FaultDevice('phone', root, FAST);
    await device.init();
    expect((await device.cli(['config', 'set', 'dns', stub.server])).code).toBe(0);
    await device.login(byName, EMAIL, PASSWORD);

    const proof = await provePausedAndResumed(device, {
      note: 'dns',
      // The DNS servers are gone (another network, a reset): only the system resolver is left, and it can't.
      fault: async () => expect((await device.cli(['config', 'unset', 'dns'])).code).toBe(0),
      heal: async () => expect((await device.cli(['config', 'set', 'dns', stub.server])).code).toBe(0),
      cause: 'DNS_FAILURE',
      family: 'network',
      remedies: ['set-dns', 'reset-network', 'check-server-address'],
    });
    expect(proof.status.failure?.remedies[0]?.command).toMatch(/^nimbus config set dns /);
    expect(proof.run.stdout).toContain('Fix: nimbus config set dns');
  });

  it('doctor: the system resolver fails with the DNS fix; with the DNS set it only warns and the configured servers pass', async () => {
    const device = new FaultDevice('laptop', root, FAST);
    await device.init();
    await device.cli(['config', 'set', 'dns', stub.server]);
    await device.login(byName, EMAIL, PASSWORD);

    const healthy = await device.cli(['doctor', '--json']);
    expect(healthy.code, healthy.stdout).toBe(0);
    const withDns = JSON.parse(healthy.stdout) as Doctor;
    const byId = (report: Doctor, id: string) => report.checks.find((c) => c.id === id);
    expect(byId(withDns, 'dns-system')).toMatchObject({ status: 'warn' });
    expect(byId(withDns, 'dns-configured')).toMatchObject({ status: 'pass', detail: expect.stringContaining('127.0.0.1') });
    // The test server's probe port is not the sync port + 1 (both ports are picked free): a warning, not a failure.
    expect(byId(withDns, 'server-reachable')).toMatchObject({ status: expect.stringMatching(/pass|warn/), detail: expect.stringContaining('answers on its sync port') });

    await device.cli(['config', 'unset', 'dns']);
    const broken = await device.cli(['doctor', '--json']);
    expect(broken.code).toBe(1);
    const without = JSON.parse(broken.stdout) as Doctor;
    expect(byId(without, 'dns-system')).toMatchObject({ status: 'fail', cause: 'DNS_FAILURE', fix: expect.stringContaining('nimbus config set dns') });
    expect(byId(without, 'server-reachable')).toMatchObject({ status: 'fail', cause: 'DNS_FAILURE' });
  });
});
