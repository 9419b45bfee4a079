// An in-process app on a chosen database with a temp data folder, driven with app.inject().
import { HEADERS, PROTOCOL_VERSION, type LoginResponse } from '@nimbus/protocol';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { createAuthGuard } from '../auth/guard.js';
import { openBlobStore } from '../blobs/open-blob-store.js';
import { ManualClock } from '../clock.js';
import { resolveServerConfig, type ServerConfig } from '../config.js';
import type { ServerContext } from '../context.js';
import { openMetadataStore } from '../db/metadata-store.js';
import { createMetrics } from '../metrics.js';
import { MemoryChangeNotifier } from '../notify/notifier-memory.js';
import { createPostgresDatabase, type DatabaseKind } from './databases.js';

export interface TestServer {
  app: FastifyInstance;
  ctx: ServerContext;
  clock: ManualClock;
  /** Every route of the API as `METHOD /path/:param`. */
  routes: { method: string; url: string }[];
  /** inject with the protocol header set, JSON by default. */
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** Creates an account and signs a device in; returns its tokens. */
  signUp(email?: string, password?: string, deviceName?: string): Promise<LoginResponse>;
  close(): Promise<void>;
}

let counter = 0;

export async function createTestServer(kind: DatabaseKind, overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nimbus-test-'));
  const pgDb = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config: ServerConfig = {
    ...resolveServerConfig({ data: dataDir, port: '0', probePort: 'off' }, {}),
    ...(pgDb ? { db: pgDb.url } : {}),
    ...overrides,
  };
  const clock = new ManualClock();
  const store = await openMetadataStore({ location: config.db, poolSize: 10 });
  const blobs = await openBlobStore(config);
  const ctx: ServerContext = { config, store, blobs, clock, metrics: createMetrics(), requireAuth: createAuthGuard(store, clock), notifier: new MemoryChangeNotifier() };
  const routes: { method: string; url: string }[] = [];
  const app = await buildApp(ctx, {
    onRoute: (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
    },
  });
  await app.ready();

  const request: TestServer['request'] = (options) => {
    const { token, headers, ...rest } = options;
    return app.inject({
      ...rest,
      headers: {
        [HEADERS.protocol]: String(PROTOCOL_VERSION),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });
  };

  return {
    app,
    ctx,
    clock,
    routes,
    request,
    async signUp(email = `user${++counter}@example.org`, password = 'correct horse battery', deviceName = 'test device') {
      const created = await request({ method: 'POST', url: '/v1/accounts', payload: { email, password } });
      if (created.statusCode !== 201) throw new Error(`account create failed: ${created.statusCode} ${created.body}`);
      const login = await request({ method: 'POST', url: '/v1/sessions', payload: { email, password, deviceName } });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
      return login.json<LoginResponse>();
    },
    async close() {
      await app.close();
      await ctx.notifier.close();
      await blobs.close();
      await store.close();
      await pgDb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test server with one signed-up account: what most route tests start from. */
export async function signedInServer(kind: DatabaseKind): Promise<{ server: TestServer; token: string; accountId: string }> {
  const server = await createTestServer(kind);
  const login = await server.signUp();
  return { server, token: login.accessToken, accountId: login.account.id };
}
