// Builds the Fastify app: hooks, error handling and every route module. No listening here (tests inject).
import { LIMITS, NimbusError, isNimbusError } from '@nimbus/protocol';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { registerAuthRoutes } from './auth/auth-routes.js';
import { registerBackupRoutes } from './backups/backup-routes.js';
import { registerWebSessionRoutes } from './auth/web-session-routes.js';
import { registerBlobRoutes } from './blobs/blob-routes.js';
import type { ServerContext } from './context.js';
import { registerDeviceRoutes } from './devices/device-routes.js';
import { installErrorHandling, sendError } from './http/errors.js';
import { installProtocolHooks } from './http/protocol-hooks.js';
import { registerHealthRoute, registerProbeRoutes } from './probe/probe-routes.js';
import { registerStorageRoutes } from './quota/storage-routes.js';
import { registerRecordRoutes } from './records/records-routes.js';
import { registerSettingsRoutes } from './settings/settings-routes.js';
import { findDashboardRoot, registerDashboard } from './web/dashboard.js';

export interface BuildOptions {
  logger?: Logger | undefined;
  https?: { cert: Buffer; key: Buffer } | undefined;
  /** Called for every route as it is registered (tests walk the whole API with it). */
  onRoute?: ((route: { method: string | string[]; url: string }) => void) | undefined;
}

export async function buildApp(ctx: ServerContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    ...(options.https ? { https: options.https } : {}),
    bodyLimit: LIMITS.jsonBodyMaxBytes,
    trustProxy: ctx.config.trustProxy,
    genReqId: () => randomUUID(),
    // Keep-alive sockets are closed at shutdown; requests in flight still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Record ids may be up to LIMITS.recordIdMaxLength characters, percent-encoded in the path.
    routerOptions: { maxParamLength: LIMITS.recordIdMaxLength * 12 },
    // Errors Fastify raises before routing (over-long params, bad URLs) get our error body too.
    frameworkErrors: (error, request, reply) => {
      const known = isNimbusError(error)
        ? error
        : new NimbusError('BAD_REQUEST', `malformed request: ${error.message}`);
      void sendError(reply, request, known);
    },
  }) as unknown as FastifyInstance;

  const onRoute = options.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));
  installErrorHandling(app);
  installProtocolHooks(app, ctx.clock, ctx.config.minClientProtocol);
  // While shutting down, answers in flight close their connection, so a keep-alive client does not hold the exit.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  registerProbeRoutes(app, ctx.clock);
  registerHealthRoute(app, ctx.store);
  app.get('/metrics', async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );

  // The dashboard's session rides in httpOnly cookies (auth/web-cookies.ts); devices send bearer tokens.
  await app.register(fastifyCookie);
  registerAuthRoutes(app, ctx);
  registerWebSessionRoutes(app, ctx);
  registerRecordRoutes(app, ctx);
  await registerBlobRoutes(app, ctx);
  registerStorageRoutes(app, ctx);
  registerDeviceRoutes(app, ctx);
  registerSettingsRoutes(app, ctx);
  registerBackupRoutes(app, ctx);
  await registerDashboard(app, findDashboardRoot(ctx.config.webRoot));
  return app;
}

/** The plain-HTTP probe listener: only the probe and health, so it can sit on a port firewalls leave open. */
export async function buildProbeApp(ctx: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  installErrorHandling(app);
  installProtocolHooks(app, ctx.clock);
  registerProbeRoutes(app, ctx.clock);
  registerHealthRoute(app, ctx.store);
  return app;
}
