// Real `nimbus serve` processes for fault tests: a tiny quota, and HTTPS with a test CA the CLI trusts through NODE_EXTRA_CA_CERTS.
import { ApiClient } from '@nimbus/client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type SpawnedServer } from '../spawn-server.js';
import { makeCertificate, makeCertificateAuthority, writeCertificateFiles } from './certificates.js';
import { spawnHttpsServer, spawnTinyQuotaServer } from './fault-servers.js';

describe('servers for fault tests', { timeout: 120_000 }, () => {
  let dir: string;
  const servers: SpawnedServer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-fault-servers-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a server whose new accounts get a tiny quota', async () => {
    const server = await spawnTinyQuotaServer('64KB', ['--probe-port', 'off']);
    servers.push(server);
    const account = await new ApiClient({ server: server.url }).createAccount({ email: 'tiny@example.org', password: 'a long passphrase' });
    expect(account.quotaBytes).toBe(64_000);
  });

  it('starts an HTTPS server with a test certificate; the CLI trusts it with NODE_EXTRA_CA_CERTS', async () => {
    const ca = makeCertificateAuthority();
    const { certPath: caPath } = await writeCertificateFiles(dir, 'ca', ca);
    const server = await spawnHttpsServer(makeCertificate({ commonName: '127.0.0.1', ca }), dir, ['--probe-port', 'off']);
    servers.push(server);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const create = (env: NodeJS.ProcessEnv) =>
      runCli(['account', 'create', '--server', server.url, '--email', 'tls@example.org'], {
        NIMBUS_HOME: join(dir, 'home'),
        NIMBUS_PASSWORD: 'a long passphrase',
        ...env,
      });
    const untrusted = await create({ NODE_EXTRA_CA_CERTS: '' });
    expect(untrusted.code).not.toBe(0);
    const trusted = await create({ NODE_EXTRA_CA_CERTS: caPath });
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
  });
});
