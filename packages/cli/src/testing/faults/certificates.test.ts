// Test certificates against a real HTTPS server: each bad one fails with Node's own TLS error code.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeCertificateAuthority, writeCertificateFiles, type TestCertificate } from './certificates.js';

const DAY = 86_400_000;

/** Serves one answer over HTTPS with `certificate`; returns its port and a closer. */
async function serveWith(certificate: TestCertificate): Promise<{ port: number; close(): Promise<void> }> {
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (_request, response) => response.end('secure hello'));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** GET / trusting only `ca`; resolves with the body, or the TLS error code. */
async function get(certificate: TestCertificate, ca: string, servername?: string): Promise<string> {
  const server = await serveWith(certificate);
  try {
    return await new Promise<string>((resolve) => {
      https
        .get({ host: '127.0.0.1', port: server.port, ca: [ca], agent: false, ...(servername ? { servername } : {}) }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(body));
        })
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    await server.close();
  }
}

describe('makeCertificate', () => {
  let ca: TestCertificate;
  let otherCa: TestCertificate;
  beforeAll(() => {
    ca = makeCertificateAuthority();
    otherCa = makeCertificateAuthority({ commonName: 'Someone Else CA' });
  });

  it('makes a certificate a client trusting the test CA accepts', async () => {
    const valid = makeCertificate({ commonName: '127.0.0.1', altNames: ['127.0.0.1', 'localhost'], ca });
    expect(await get(valid, ca.cert)).toBe('secure hello');
  });

  it('makes expired and not-yet-valid certificates', async () => {
    const expired = makeCertificate({ commonName: '127.0.0.1', ca, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - 2 * DAY) });
    expect(await get(expired, ca.cert)).toBe('CERT_HAS_EXPIRED');
    const early = makeCertificate({ commonName: '127.0.0.1', ca, notBefore: new Date(Date.now() + 2 * DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    expect(await get(early, ca.cert)).toBe('CERT_NOT_YET_VALID');
  });

  it('makes untrusted certificates: self-signed, signed by an unknown CA, or for another name', async () => {
    expect(await get(makeCertificate({ commonName: '127.0.0.1', altNames: ['127.0.0.1'] }), ca.cert)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await get(makeCertificate({ commonName: '127.0.0.1', ca: otherCa }), ca.cert)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await get(makeCertificate({ commonName: 'portal.example', ca }), ca.cert)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('is trusted by a process started with NODE_EXTRA_CA_CERTS (how the CLI and its fetch are told)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-certs-'));
    const server = await serveWith(makeCertificate({ commonName: '127.0.0.1', ca }));
    try {
      const { certPath: caPath } = await writeCertificateFiles(dir, 'ca', ca);
      const script = `fetch('https://127.0.0.1:${server.port}/').then((r) => r.text()).then((t) => console.log(t), (e) => console.log(e.cause?.code ?? e.message))`;
      const run = (env: NodeJS.ProcessEnv) => promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, ...env } });
      expect((await run({ NODE_EXTRA_CA_CERTS: caPath })).stdout.trim()).toBe('secure hello');
      expect((await run({ NODE_EXTRA_CA_CERTS: '' })).stdout.trim()).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
