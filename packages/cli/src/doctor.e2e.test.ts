// `nimbus doctor` end to end, through fault proxies on the sync port and the probe port (= sync port + 1): healthy →
// every check passes and exit 0; server down or sync port blocked → the reachability check fails with the cause and
// the fix, exit 1; `--fix` wakes a running agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStage, type FaultDevice, type ProxyPair } from './testing/faults/paused-case.js';
import { spawnServer } from './testing/spawn-server.js';

const FAST = { NIMBUS_REQUEST_TIMEOUT_MS: '2000' };
const ORDER = ['server-reachable', 'captive-portal', 'dns-system', 'dns-configured', 'tls', 'clock', 'session', 'storage', 'pending', 'local-disk'];

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  fix: string | null;
  cause?: string;
}
interface Report {
  checks: Check[];
  ok: boolean;
  fixes?: { id: string; done: boolean; detail: string }[];
}

describe('nimbus doctor', { timeout: 90_000 }, () => {
  let stage: FaultStage;
  let device: FaultDevice;
  let proxies: ProxyPair;

  beforeAll(async () => {
    stage = await FaultStage.open(await spawnServer(), FAST);
    ({ device, proxies } = await stage.proxiedDevice('laptop'));
    await device.sync();
  });
  afterAll(async () => {
    await proxies.close();
    await stage.dispose();
  });

  async function doctor(...flags: string[]): Promise<{ code: number | null; report: Report; stdout: string }> {
    const run = await device.cli(['doctor', '--json', ...flags]);
    return { code: run.code, report: JSON.parse(run.stdout) as Report, stdout: run.stdout };
  }

  it('healthy: every check passes, in the contract order, exit 0', async () => {
    const { code, report } = await doctor();
    expect(report.checks.map((c) => c.id)).toEqual(ORDER);
    // The local disk may be nearly full on a busy machine: that warns, never fails, and is not the server's doing.
    const notPassing = report.checks.filter((c) => c.status !== 'pass' && !(c.id === 'local-disk' && c.status === 'warn'));
    expect(notPassing).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    for (const check of report.checks) expect(check).toMatchObject({ detail: expect.any(String), fix: null });

    const human = await device.cli(['doctor']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^pass {2}Server reachable/m);
    expect(human.stdout).toMatch(/All checks passed|No check failed/);
  });

  it('server down: the reachability check fails naming the cause and the fix, exit 1', async () => {
    await proxies.setMode('refuse');
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.checks[0]).toMatchObject({ id: 'server-reachable', status: 'fail', cause: 'SERVER_UNAVAILABLE', fix: expect.any(String) });
      // What needs the server is not checked rather than failed twice for one cause.
      expect(report.checks.find((c) => c.id === 'session')?.status).toBe('warn');

      const human = await device.cli(['doctor']);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/^FAIL {2}Server reachable .*\[SERVER_UNAVAILABLE\]\n\s+fix: /m);
    } finally {
      await proxies.setMode('pass');
    }
  });

  it('sync port blocked while the probe port answers: NETWORK_BLOCKED', async () => {
    await proxies.setMode('refuse', 'pass');
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      expect(report.checks[0]).toMatchObject({ status: 'fail', cause: 'NETWORK_BLOCKED', fix: expect.stringContaining('another network') });
    } finally {
      await proxies.setMode('pass');
    }
  });

  it('--fix with an agent running: network state reset, the session left to the agent, the agent asked to sync now', async () => {
    const agent = device.agent();
    try {
      await agent.waitFor(/Up to date/, 30_000);
      const before = (await device.status()).lastSyncedAt ?? 0;
      const { code, report } = await doctor('--fix');
      expect(code).toBe(0);
      expect(report.fixes?.map((f) => [f.id, f.done])).toEqual([
        ['reset-network', true],
        ['refresh-session', false],
        ['resume', true],
      ]);
      // The nudge is a configuration change: the agent runs a pass without any other trigger.
      await expect.poll(async () => (await device.status()).lastSyncedAt ?? 0, { timeout: 15_000, interval: 250 }).toBeGreaterThan(before);
    } finally {
      await agent.stop();
    }
    const alone = await doctor('--fix');
    expect(alone.report.fixes?.find((f) => f.id === 'refresh-session')).toMatchObject({ done: true });
  });
});
