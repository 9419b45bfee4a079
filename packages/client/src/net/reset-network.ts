// "Reset network state" in one call: what the agent does after a network-looking failure and `nimbus doctor --fix` does.
import { resetDnsRoutes } from '../dns/dns-route.js';
import { dropHttpConnections } from './node-http-send.js';
import { dropPooledConnections } from './timed-fetch.js';

/** Drops pooled connections (node:http's, fetch's and the configured DNS servers' pools) and forgets cached DNS answers. */
export function resetNetworkState(): void {
  dropHttpConnections();
  dropPooledConnections();
  resetDnsRoutes();
}
