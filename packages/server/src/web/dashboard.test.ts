// The dashboard's files at `/`: index.html for page paths, hashed assets cached for good, the API left alone.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { findDashboardRoot } from './dashboard.js';

describe('dashboard', () => {
  let server: TestServer | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function builtDashboard(): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'nimbus-web-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Nimbus</title><div id="app"></div>');
    await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log("hi")');
    return root;
  }

  it('serves index.html at / and at every page path, with headers that keep it from being framed', async () => {
    server = await createTestServer('sqlite', { webRoot: await builtDashboard() });
    for (const url of ['/', '/storage', '/devices', '/notes?x=1']) {
      const page = await server.request({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('<div id="app">');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
    const asset = await server.request({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('leaves unknown API paths to the API: JSON NOT_FOUND, never the page', async () => {
    server = await createTestServer('sqlite', { webRoot: await builtDashboard() });
    for (const url of ['/v1/nope', '/v1/records', '/metrics/x']) {
      const missing = await server.request({ method: 'GET', url });
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json<{ error: { kind: string } }>().error.kind).toBe('NOT_FOUND');
    }
    expect((await server.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // Path tricks do not leave the dashboard's folder.
    const escape = await server.request({ method: 'GET', url: '/assets/..%2f..%2fetc%2fpasswd' });
    expect(escape.body).not.toContain('root:');
  });

  it('says how to build it when it is not built', async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-web-empty-'));
    expect(findDashboardRoot(root)).toBeNull();
    server = await createTestServer('sqlite', { webRoot: root });
    const page = await server.request({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
  });
});
