// `nimbus doctor`'s TLS check against `nimbus serve` over HTTPS (a CA the device trusts through NODE_EXTRA_CA_CERTS):
// a trusted certificate passes with its end date; something intercepting the sync port fails with TLS_UNTRUSTED.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeCertificateAuthority } from './testing/faults/certificates.js';
import { spawnHttpsServer } from './testing/faults/fault-servers.js';
import { FaultStage, type FaultDevice, type ProxyPair } from './testing/faults/paused-case.js';

interface Check {
  id: string;
  status: string;
  detail: string;
  fix: string | null;
  cause?: string;
}

describe('nimbus doctor over HTTPS', { timeout: 90_000 }, () => {
  let certs: string;
  let stage: FaultStage;
  let device: FaultDevice;
  let proxies: ProxyPair;

  beforeAll(async () => {
    certs = await mkdtemp(join(tmpdir(), 'nimbus-doctor-tls-e2e-'));
    const ca = makeCertificateAuthority();
    await writeFile(join(certs, 'ca.pem'), ca.cert);
    const server = await spawnHttpsServer(makeCertificate({ commonName: '127.0.0.1', ca, notAfter: new Date(Date.now() + 90 * 86_400_000) }), certs);
    stage = await FaultStage.open(server, { NIMBUS_REQUEST_TIMEOUT_MS: '2000', NODE_EXTRA_CA_CERTS: join(certs, 'ca.pem') });
    const intercepting = makeCertificate({ commonName: 'portal.example', altNames: ['portal.example'] });
    ({ device, proxies } = await stage.proxiedDevice('laptop', { answerTls: intercepting }));
  });
  afterAll(async () => {
    await proxies.close();
    await stage.dispose();
    await rm(certs, { recursive: true, force: true });
  });

  const tlsCheck = async (): Promise<{ code: number | null; checks: Check[] }> => {
    const run = await device.cli(['doctor', '--json']);
    return { code: run.code, checks: (JSON.parse(run.stdout) as { checks: Check[] }).checks };
  };

  it('a trusted certificate passes, naming when it ends', async () => {
    const { code, checks } = await tlsCheck();
    expect(checks.find((c) => c.id === 'tls')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/trusted \(valid until \d{4}-\d\d-\d\d\)/) });
    expect(code).toBe(0);
  });

  it('an intercepting certificate on the sync port fails with TLS_UNTRUSTED and its fix', async () => {
    await proxies.setMode('portal', 'pass');
    try {
      const { code, checks } = await tlsCheck();
      expect(code).toBe(1);
      expect(checks.find((c) => c.id === 'tls')).toMatchObject({ status: 'fail', cause: 'TLS_UNTRUSTED', fix: expect.stringContaining('another network') });
      expect(checks.find((c) => c.id === 'server-reachable')).toMatchObject({ status: 'fail', cause: 'TLS_UNTRUSTED' });
    } finally {
      await proxies.setMode('pass');
    }
  });
});
