// `nimbus serve` as a user runs it: a real process, real ports, SQLite or PostgreSQL, HTTP or HTTPS.
import { HEADERS, PROBE_MARKER } from '@nimbus/protocol';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresAvailable } from '../../server/src/testing/databases.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

describe('nimbus serve on SQLite', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer(['--probe-port', '0']);
  });
  afterAll(() => server.dispose());

  it('answers the probe with the fixed marker and the server time, on the main and the probe port', async () => {
    for (const base of [server.url, server.probeUrl]) {
      expect(base).toBeTruthy();
      const before = Date.now();
      const response = await fetch(`${base}/v1/probe`);
      const body = (await response.json()) as { probe: string; serverTime: number };
      expect(response.status).toBe(200);
      expect(body.probe).toBe(PROBE_MARKER);
      expect(body.serverTime).toBeGreaterThanOrEqual(before - 1000);
      expect(Number(response.headers.get(HEADERS.serverTime))).toBeGreaterThan(0);
    }
  });

  it('starts without a warning from Node (the CLI bundle loads the server with require)', () => {
    expect(server.output()).not.toMatch(/Warning/);
  });

  it('serves only the probe and health on the probe port', async () => {
    const response = await fetch(`${server.probeUrl}/v1/records/notes/x`);
    expect(response.status).toBe(404);
  });

  it('reports health and Prometheus metrics', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('nimbus_http_request_duration_seconds');
    expect(metrics).toContain('nimbus_process_cpu_seconds_total');
  });

  it('tells an outdated client to update with 426 CLIENT_OUTDATED', async () => {
    const response = await fetch(`${server.url}/v1/probe`, { headers: { [HEADERS.protocol]: '0' } });
    expect(response.status).toBe(426);
    const body = (await response.json()) as { error: { kind: string; minProtocol: number } };
    expect(body.error.kind).toBe('CLIENT_OUTDATED');
    expect(body.error.minProtocol).toBeGreaterThanOrEqual(1);
  });

  it('answers unknown routes and malformed JSON with an error body, not a crash', async () => {
    const missing = await fetch(`${server.url}/v1/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { kind: string } }).error.kind).toBe('NOT_FOUND');
    const malformed = await fetch(`${server.url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { kind: string } }).error.kind).toBe('BAD_REQUEST');
  });

  it('keeps its data in the data folder across a restart', async () => {
    const email = 'restart@example.org';
    const create = await fetch(`${server.url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long enough password' }),
    });
    expect(create.status).toBe(201);
    expect(await server.stop()).toBe(0);
    const again = await spawnServer(['--data', server.dataDir, '--probe-port', 'off']);
    try {
      const login = await fetch(`${again.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'a long enough password', deviceName: 'laptop' }),
      });
      expect(login.status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes a write in flight after SIGTERM, then exits 0', async () => {
    const server = await spawnServer(['--probe-port', 'off']);
    try {
      const json = { 'content-type': 'application/json' };
      const payload = { email: 'slow@example.org', password: 'a long enough password' };
      expect((await fetch(`${server.url}/v1/accounts`, { method: 'POST', headers: json, body: JSON.stringify(payload) })).status).toBe(201);
      const login = await fetch(`${server.url}/v1/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ ...payload, deviceName: 'x' }) });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const body = JSON.stringify({ writes: [{ zone: 'notes', id: 'in-flight', baseVersion: 0, data: { text: 'x'.repeat(50_000) } }] });
      const url = new URL(`${server.url}/v1/records/batch`);
      // Send half the body, stop the server, then send the rest: the write must still be answered and kept.
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...json, authorization: `Bearer ${accessToken}`, 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 1000));
        setTimeout(() => {
          server.process.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(1000)), 300);
        }, 200);
      });
      const result = await answer;
      expect(result.status).toBe(200);
      expect(result.text).toContain('"status":"ok"');
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('Shutting down');
    } finally {
      await server.dispose();
    }
  });
});

describe('nimbus serve flags', () => {
  it('refuses wrong flags with a one-line error and exit 2', async () => {
    const result = await runCli(['serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port must be a port number/);
    const quota = await runCli(['serve', '--default-quota', 'lots']);
    expect(quota.code).toBe(2);
    expect(quota.stderr).toMatch(/not a size/);
  });

  it('serves HTTPS with --tls-cert/--tls-key and keeps the probe port plain HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    const server = await spawnServer(['--tls-cert', cert, '--tls-key', key, '--probe-port', '0']);
    try {
      expect(server.url).toMatch(/^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/v1/probe`, { agent: new Agent({ ca: execFileSync('cat', [cert]) }) }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toMatchObject({ probe: PROBE_MARKER });
      expect(server.probeUrl).toMatch(/^http:/);
      expect((await fetch(`${server.probeUrl}/v1/probe`)).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});

const pgUp = await postgresAvailable();
describe.skipIf(!pgUp)('nimbus serve --db postgres://…', () => {
  it('runs the same server on PostgreSQL, migrating on start', async () => {
    const database = await createPostgresDatabase();
    const server = await spawnServer(['--db', database.url, '--probe-port', 'off']);
    try {
      expect(server.output()).toContain('PostgreSQL');
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
      const create = await fetch(`${server.url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'pg@example.org', password: 'a long enough password' }),
      });
      expect(create.status).toBe(201);
    } finally {
      expect(await server.stop()).toBe(0);
      await database.drop();
    }
  });
});
