// Where the client's connections get their addresses: the system resolver, or the user's DNS servers when set.
import { lookup as systemLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { ConfiguredResolver } from './configured-lookup.js';

/** One set of configured servers: its resolver (with its answer cache) and the fetch pool that uses it. */
interface Route {
  readonly resolver: ConfiguredResolver;
  /**
   * Made on first use by a fetch: undici is loaded only when a fetch goes through configured servers (it costs a
   * command's start-up); node:http requests need only the resolver.
   */
  agent?: Promise<Agent>;
}

/** Shared by every client of the process, so "reset network state" reaches them all (like fetch's global pool). */
const routes = new Map<string, Route>();

function routeFor(servers: readonly string[]): Route {
  const key = servers.join(',');
  let route = routes.get(key);
  if (!route) {
    const resolver = new ConfiguredResolver(servers);
    route = { resolver };
    routes.set(key, route);
  }
  return route;
}

/** The resolver for one request: `wrap` for fetch-based clients, `lookup` for node:http ones. */
export interface DnsRoute {
  /**
   * A fetch that, while servers are configured, sends through a pool whose connections resolve with them. The pool
   * is an undici 7 Agent passed as `dispatcher`; Node's own fetch (undici 6 in Node 20 and 22, 7 in Node 24) takes it,
   * which the tests of this module check on the running Node.
   */
  wrap(base: typeof fetch): typeof fetch;
  /** A `lookup` for net/tls/http: the configured servers, else the system's. */
  readonly lookup: LookupFunction;
}

/**
 * Reads the configured servers (`readServers`, cheap) on every request, so `nimbus config set dns` reaches a
 * running agent's next request without a restart.
 */
export function dnsRoute(readServers: () => readonly string[]): DnsRoute {
  const current = (): Route | undefined => {
    const servers = readServers();
    return servers.length === 0 ? undefined : routeFor(servers);
  };
  return {
    wrap: (base) => async (input, init) => {
      const route = current();
      if (!route) return base(input, init);
      // undici's Agent type is its own package's; Node's RequestInit names the bundled copy's: same contract.
      const { resolver } = route;
      route.agent ??= import('undici').then(({ Agent }) => new Agent({ connect: { lookup: resolver.lookup } }));
      return base(input, { ...init, dispatcher: await route.agent } as unknown as RequestInit);
    },
    lookup: (host, options, callback) => {
      const route = current();
      if (route) route.resolver.lookup(host, options, callback);
      else systemLookup(host, options, callback);
    },
  };
}

/** Drops the configured servers' pooled connections and cached answers: the next request resolves and connects anew. */
export function resetDnsRoutes(): void {
  for (const route of routes.values()) {
    route.resolver.forget();
    route.agent?.then((agent) => agent.close()).catch(() => undefined);
  }
  routes.clear();
}
