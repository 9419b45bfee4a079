// TLS causes end to end against `nimbus serve` over HTTPS: a captive portal on the HTTPS port (its certificate is wrong,
// the plain-HTTP probe port shows the portal) and an untrusted certificate (something intercepts, the probe port is clean).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeCertificateAuthority, type TestCertificate } from './testing/faults/certificates.js';
import type { FaultModeInput } from './testing/faults/fault-mode.js';
import { spawnHttpsServer } from './testing/faults/fault-servers.js';
import { FaultStage, provePausedAndResumed, type FaultDevice, type PausedCase } from './testing/faults/paused-case.js';

describe('TLS causes, proven end to end', { timeout: 90_000 }, () => {
  let certs: string;
  let stage: FaultStage;
  let phone: FaultDevice;
  /** What a portal or an intercepting proxy has for an HTTPS port: its own certificate, trusted by no one here. */
  let intercepting: TestCertificate;
  const notes: string[] = [];

  beforeAll(async () => {
    certs = await mkdtemp(join(tmpdir(), 'nimbus-tls-e2e-'));
    const ca = makeCertificateAuthority();
    await writeFile(join(certs, 'ca.pem'), ca.cert);
    intercepting = makeCertificate({ commonName: 'portal.example', altNames: ['portal.example'] });
    const server = await spawnHttpsServer(makeCertificate({ commonName: '127.0.0.1', ca }), certs);
    stage = await FaultStage.open(server, { NIMBUS_REQUEST_TIMEOUT_MS: '2000', NODE_EXTRA_CA_CERTS: join(certs, 'ca.pem') });
    phone = await stage.directDevice('phone');
  });
  afterAll(async () => {
    await stage.dispose();
    await rm(certs, { recursive: true, force: true });
  });

  async function prove(note: string, sync: FaultModeInput, probe: FaultModeInput, expected: Omit<PausedCase, 'note' | 'fault' | 'heal'>) {
    const { device, proxies } = await stage.proxiedDevice(note, { answerTls: intercepting });
    notes.push(note);
    try {
      const proof = await provePausedAndResumed(device, { note, ...expected, fault: () => proxies.setMode(sync, probe), heal: () => proxies.setMode('pass') });
      return { ...proof, proxies };
    } finally {
      await proxies.close();
    }
  }

  it.concurrent("captive portal on HTTPS: the portal's certificate fails, the probe port shows the portal and where it points", async () => {
    const proof = await prove('portal-https', 'portal', 'portal', {
      cause: 'NETWORK_CAPTIVE_PORTAL',
      family: 'network',
      remedies: ['open-portal', 'run-doctor'],
    });
    const portalUrl = proof.proxies.probe.url('http', '/portal/login');
    expect(proof.status.failure).toMatchObject({ portalUrl, message: expect.stringContaining(portalUrl) });
    expect(proof.status.failure?.remedies[0]?.text).toContain(portalUrl);
  });

  it.concurrent('untrusted certificate on the sync port while the probe port is clean: TLS_UNTRUSTED, nothing sent', async () => {
    const proof = await prove('untrusted', 'portal', 'pass', {
      cause: 'TLS_UNTRUSTED',
      family: 'network',
      remedies: ['try-another-network', 'trust-server-ca', 'run-doctor'],
    });
    expect(proof.status.failure?.message).toContain('not trusted');
    expect(proof.run.stdout).toMatch(/^Sync Paused — the server's certificate is not trusted\./);
    // The device never sent a request to the interceptor: every handshake was refused before one.
    expect(proof.proxies.sync.stats.answers).toBe(0);
  });

  it('nothing was lost: the notes written before the faults reached the other device', async () => {
    expect(notes).toHaveLength(2);
    await phone.sync();
    for (const note of notes) expect(await phone.read(`Notes/${note}.md`)).toMatch(/^written before /);
  });
});
