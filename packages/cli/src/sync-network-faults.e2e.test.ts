// Network and busy-server causes end to end: a refused or black-holed server, a captive portal, a blocked sync port,
// 503 and 429 — each named on the first failed `nimbus sync`, and healed by a running agent alone once the fault is gone.
// Every case has a device and proxies of its own, so the cases run side by side against one server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultStage, provePausedAndResumed, type FaultDevice, type PausedCase } from './testing/faults/paused-case.js';
import type { FaultModeInput } from './testing/faults/fault-mode.js';
import { spawnServer } from './testing/spawn-server.js';

/** Short deadlines so a black hole costs a couple of seconds, not 30 s per request. */
const FAST = { NIMBUS_REQUEST_TIMEOUT_MS: '2000' };

describe('network and server causes, proven end to end', { timeout: 90_000 }, () => {
  let stage: FaultStage;
  let phone: FaultDevice;
  const notes: string[] = [];

  beforeAll(async () => {
    stage = await FaultStage.open(await spawnServer(), FAST);
    phone = await stage.directDevice('phone');
  });
  afterAll(async () => {
    await stage.dispose();
  });

  /** Runs one case on a device of its own behind `sync` and `probe` faults; healing sets both proxies to pass. */
  async function prove(note: string, sync: FaultModeInput, probe: FaultModeInput, expected: Omit<PausedCase, 'note' | 'fault' | 'heal'>) {
    const { device, proxies } = await stage.proxiedDevice(note);
    notes.push(note);
    try {
      const proof = await provePausedAndResumed(device, { note, ...expected, fault: () => proxies.setMode(sync, probe), heal: () => proxies.setMode('pass') });
      return { ...proof, proxies };
    } finally {
      await proxies.close();
    }
  }

  it.concurrent('server refused on both ports: SERVER_UNAVAILABLE, retried by itself', async () => {
    await prove('refused', 'refuse', 'refuse', { cause: 'SERVER_UNAVAILABLE', family: 'server', remedies: ['wait', 'contact-server-admin'] });
  });

  it.concurrent('server black-holed on both ports: NETWORK_OFFLINE within the short request deadline', async () => {
    await prove('blackholed', 'blackhole', 'blackhole', { cause: 'NETWORK_OFFLINE', family: 'network', remedies: ['check-connection', 'run-doctor'] });
  });

  it.concurrent('captive portal that redirects: NETWORK_CAPTIVE_PORTAL with the portal URL in the message and the remedy', async () => {
    const proof = await prove('portal-redirect', { kind: 'portal', answer: 'redirect' }, { kind: 'portal', answer: 'redirect' }, {
      cause: 'NETWORK_CAPTIVE_PORTAL',
      family: 'network',
      remedies: ['open-portal', 'run-doctor'],
    });
    const portalUrl = proof.proxies.sync.url('http', '/portal/login');
    expect(proof.status.failure).toMatchObject({ portalUrl, message: expect.stringContaining(portalUrl) });
    expect(proof.status.failure?.remedies[0]?.text).toContain(portalUrl);
    expect(proof.run.stdout).toContain(`Open ${portalUrl} then sync resumes by itself.`);
  });

  it.concurrent('captive portal that answers its sign-in page: NETWORK_CAPTIVE_PORTAL', async () => {
    const proof = await prove('portal-page', { kind: 'portal', answer: 'page' }, { kind: 'portal', answer: 'page' }, {
      cause: 'NETWORK_CAPTIVE_PORTAL',
      family: 'network',
      remedies: ['open-portal', 'run-doctor'],
    });
    expect(proof.status.failure?.message).toContain('captive portal');
  });

  for (const mode of ['refuse', 'blackhole'] as const) {
    it.concurrent(`sync port blocked (${mode}) while the probe port answers: NETWORK_BLOCKED`, async () => {
      await prove(`blocked-${mode}`, mode, 'pass', {
        cause: 'NETWORK_BLOCKED',
        family: 'network',
        remedies: ['try-another-network', 'ask-network-admin', 'run-doctor'],
      });
    });
  }

  for (const body of ['nimbus', 'plain'] as const) {
    it.concurrent(`503 with a ${body} body: SERVER_UNAVAILABLE, retried after its Retry-After`, async () => {
      const before = Date.now();
      const proof = await prove(`unavailable-${body}`, { kind: 'status', status: 503, retryAfter: 1, body }, 'pass', {
        cause: 'SERVER_UNAVAILABLE',
        family: 'server',
        remedies: ['wait', 'contact-server-admin'],
      });
      expect(proof.status.failure?.retryAt).toBeGreaterThanOrEqual(before + 1000);
    });

    it.concurrent(`429 with a ${body} body: RATE_LIMITED, and the agent waits for Retry-After`, async () => {
      const before = Date.now();
      const proof = await prove(`limited-${body}`, { kind: 'status', status: 429, retryAfter: 3, body }, 'pass', {
        cause: 'RATE_LIMITED',
        family: 'server',
        remedies: ['wait'],
        readAgentStatus: true,
      });
      const retryAt = proof.status.failure?.retryAt ?? 0;
      expect(retryAt).toBeGreaterThanOrEqual(before + 3000);
      expect(proof.run.stdout).toMatch(/Retrying in \d+ seconds?\./);
      // The agent was healed before its Retry-After ran out, and still waited for it.
      const agentRetryAt = proof.agentStatus?.failure?.retryAt ?? Infinity;
      expect(proof.resumed.lastSyncedAt).toBeGreaterThanOrEqual(agentRetryAt);
    });
  }

  /** A `nimbus sync` under a deadline far longer than the test, the states its device showed while it ran, and whether it is still running. */
  function longSync(device: FaultDevice) {
    let exited = false;
    const run = device.cli(['sync'], { NIMBUS_REQUEST_TIMEOUT_MS: '120000' }).finally(() => (exited = true));
    return { run, running: () => !exited };
  }

  it.concurrent('black hole under a long request deadline: NETWORK_OFFLINE is named while the request still waits', async () => {
    const { device, proxies } = await stage.proxiedDevice('blackhole-early');
    try {
      await device.sync();
      await device.write('Notes/blackhole-early.md', 'written before the black hole\n');
      await proxies.setMode('blackhole');
      const sync = longSync(device);
      let status = await device.status();
      while (status.failure === null && sync.running()) status = await device.status();
      // Named by the probe taken while the request waited: the sync (deadline 120 s) has not given up yet.
      expect(sync.running()).toBe(true);
      expect(status).toMatchObject({ state: 'paused', failure: { cause: 'NETWORK_OFFLINE', family: 'network' } });
      await proxies.setMode('pass');
      await sync.run;
      await device.sync();
      expect((await device.status()).pending.notes).toBe(0);
    } finally {
      await proxies.close();
    }
  });

  it.concurrent('slow link whose probe answers: the request keeps its deadline and nothing is paused', async () => {
    const { device, proxies } = await stage.proxiedDevice('slow-alive');
    try {
      await device.sync();
      // 160 KB up at 40 KB/s: the batch waits ~4 s for its answer, past the point where the probe starts.
      await device.write('Notes/slow-alive.md', `${'slow but alive '.repeat(10_000)}\n`);
      await proxies.setMode({ kind: 'slow', bytesPerSecond: 40_000 }, 'pass');
      proxies.probe.resetStats();
      const sync = longSync(device);
      const failures: string[] = [];
      while (sync.running()) {
        const status = await device.status();
        if (status.failure) failures.push(status.failure.cause);
      }
      const run = await sync.run;
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(failures).toEqual([]);
      // The probe did run while the request waited (nothing else probes on a pass without a failure).
      expect(proxies.probe.stats.connections).toBeGreaterThan(0);
    } finally {
      await proxies.close();
    }
  });

  it('nothing was lost: every note written before a fault reached the other device', async () => {
    expect(notes).toHaveLength(10);
    await phone.sync();
    for (const note of notes) expect(await phone.read(`Notes/${note}.md`)).toMatch(/^written before /);
  });
});
