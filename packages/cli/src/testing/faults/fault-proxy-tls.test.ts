// FaultProxy in front of an HTTPS server: TLS passes through, and a portal on the TLS port can only show the wrong certificate.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeCertificateAuthority, type TestCertificate } from './certificates.js';
import { FaultProxy } from './fault-proxy.js';

/** GET over HTTPS trusting only `ca`: the status and body, or the TLS error code. */
function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    https
      .get({ host: '127.0.0.1', port, path, ca: [ca], agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('FaultProxy in front of an HTTPS server', () => {
  let ca: TestCertificate;
  let server: https.Server;
  let plain: http.Server;
  let syncPort: FaultProxy;
  let probePort: FaultProxy;

  beforeAll(async () => {
    ca = makeCertificateAuthority();
    const serverCert = makeCertificate({ commonName: '127.0.0.1', ca });
    const answer = (_request: http.IncomingMessage, response: http.ServerResponse): void => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"probe":"nimbus-probe"}');
    };
    server = https.createServer({ cert: serverCert.cert, key: serverCert.key }, answer);
    plain = http.createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    // What a captive portal has for an HTTPS port: its own certificate, for its own name, trusted by no one here.
    const portalCert = makeCertificate({ commonName: 'portal.example', altNames: ['portal.example'] });
    syncPort = await FaultProxy.start({ target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port }, answerTls: portalCert });
    probePort = await FaultProxy.start({ target: { host: '127.0.0.1', port: (plain.address() as AddressInfo).port } });
  });
  afterAll(async () => {
    await Promise.all([syncPort.close(), probePort.close()]);
    for (const s of [server, plain]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('passes TLS through untouched: the client sees the server\'s own certificate', async () => {
    expect(await httpsGet(syncPort.port, '/v1/probe', ca.cert)).toEqual({ status: 200, body: '{"probe":"nimbus-probe"}' });
  });

  it('as a portal, fails TLS on the sync port while the plain-HTTP probe port shows the portal', async () => {
    await syncPort.setMode('portal');
    await probePort.setMode('portal');
    expect(await httpsGet(syncPort.port, '/v1/probe', ca.cert)).toEqual({ error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const probe = await fetch(probePort.url('http', '/v1/probe'), { redirect: 'manual' });
    expect(probe.status).toBe(302);
    expect(probe.headers.get('location')).toBe(probePort.url('http', '/portal/login'));

    // A client that accepts any certificate (as a browser after "proceed anyway") sees the portal on the TLS port too.
    const insecure = await new Promise<number>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: syncPort.port, path: '/v1/probe', rejectUnauthorized: false, agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(insecure).toBe(302);

    await syncPort.setMode('pass');
    await probePort.setMode('pass');
    expect(await httpsGet(syncPort.port, '/v1/probe', ca.cert)).toMatchObject({ status: 200 });
  });

  it('answers error statuses over TLS with a certificate the client trusts', async () => {
    const trusted = await FaultProxy.start({
      target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
      answerTls: makeCertificate({ commonName: '127.0.0.1', ca }),
      mode: { kind: 'status', status: 503, retryAfter: 2 },
    });
    try {
      const answer = await httpsGet(trusted.port, '/v1/changes', ca.cert);
      expect(answer).toMatchObject({ status: 503 });
      expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ error: { kind: 'SERVER_UNAVAILABLE', retryAfterSeconds: 2 } });
    } finally {
      await trusted.close();
    }
  });
});
