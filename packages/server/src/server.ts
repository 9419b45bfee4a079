// Starts a Nimbus server: opens storage, migrates, listens on the main and probe ports, shuts down gracefully.
import { mkdir, readFile } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, buildProbeApp } from './app.js';
import { createAuthGuard } from './auth/guard.js';
import { openBlobStore } from './blobs/open-blob-store.js';
import { systemClock, type Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { openMetadataStore } from './db/metadata-store.js';
import { createMetrics } from './metrics.js';
import type { ChangeNotifier } from './notify/change-notifier.js';
import { openChangeNotifier } from './notify/open-change-notifier.js';
import { startSweeper } from './sweeper.js';

export interface RunningServer {
  url: string;
  probeUrl: string | null;
  ctx: ServerContext;
  app: FastifyInstance;
  /** Stops accepting, lets requests in flight finish, then closes storage. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
}

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'nimbus' },
      // Secrets never reach the log, whatever a future serializer adds.
      redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken'],
    },
    pino.destination(2),
  );
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // First: an unreachable NATS fails the start before storage is opened.
  const notifier = await openChangeNotifier(config, logger);
  try {
    return await startWithNotifier(config, options, logger, notifier);
  } catch (error) {
    // A NATS connection left open would keep a failed `nimbus serve` running (it reconnects for ever).
    await notifier.close();
    throw error;
  }
}

async function startWithNotifier(config: ServerConfig, options: StartOptions, logger: Logger, notifier: ChangeNotifier): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  // Blobs, staged uploads and (without --db) the SQLite file live here.
  await mkdir(config.dataDir, { recursive: true });
  const store = await openMetadataStore({ location: config.db });
  const blobs = await openBlobStore(config);
  const ctx: ServerContext = {
    config,
    store,
    blobs,
    clock,
    metrics: createMetrics(),
    requireAuth: createAuthGuard(store, clock),
    notifier,
  };
  const https = config.tls ? { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) } : undefined;
  const app = await buildApp(ctx, { logger, https });
  const probe = config.probePort === null ? null : await buildProbeApp(ctx);
  const scheme = https ? 'https' : 'http';
  await app.listen({ host: config.host, port: config.port });
  const port = addressPort(app);
  let probeUrl: string | null = null;
  if (probe && config.probePort !== null) {
    await probe.listen({ host: config.host, port: config.probePort });
    probeUrl = `http://${urlHost(config.host)}:${addressPort(probe)}`;
  }
  const sweeper = startSweeper(ctx, logger);
  let closing: Promise<void> | undefined;
  return {
    url: `${scheme}://${urlHost(config.host)}:${port}`,
    probeUrl,
    ctx,
    app,
    close: () =>
      (closing ??= (async () => {
        sweeper.stop();
        await Promise.all([app.close(), probe?.close()]);
        await ctx.notifier.close();
        await blobs.close();
        await store.close();
      })()),
  };
}

function addressPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  return address.port;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
