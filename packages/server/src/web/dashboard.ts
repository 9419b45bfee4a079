// Serves the built dashboard at `/`: its hashed assets cached for good, index.html for every page path (the page
// routes itself), the API untouched under /v1. The files are found at run time, wherever npm put @nimbus/web.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Paths the page never owns: an unknown one of these is the API's NOT_FOUND, not the page. */
const API_PREFIXES = ['/v1/', '/metrics', '/healthz'];

/**
 * Where the built dashboard is: the configured folder, else @nimbus/web's dist/ resolved from this module (this
 * server package is never bundled, so resolution starts from its own place in node_modules). Null when not built.
 */
export function findDashboardRoot(configured: string | null): string | null {
  const candidates = configured !== null ? [configured] : [webPackageDist()].filter((c): c is string => c !== null);
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

function webPackageDist(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@nimbus/web/package.json')), 'dist');
  } catch {
    return null;
  }
}

/**
 * Headers for the page itself: no framing (clickjacking), scripts only from here, no Referer to other sites.
 * Not `no-referrer`: under it the Fetch standard sends `Origin: null` on the page's own writes, which csrf.ts refuses.
 */
function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'cache-control': 'no-cache',
    'content-security-policy':
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  });
}

export async function registerDashboard(app: FastifyInstance, root: string | null): Promise<void> {
  if (root === null) {
    app.get('/', (_request, reply) =>
      pageHeaders(reply)
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Nimbus dashboard is not built. Run `npm run build` (npm install does it), then restart the server.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    // Routes only for the files there at start-up; every other path falls to the page handler below.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      // Vite names assets by content hash, so they never change under one name.
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/*', (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (API_PREFIXES.some((prefix) => path.startsWith(prefix))) return reply.callNotFound();
    return pageHeaders(reply).sendFile('index.html');
  });
}
