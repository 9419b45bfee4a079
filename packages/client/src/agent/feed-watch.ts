// The agent's own position in the change feed for long-polls, so a wait never answers with what it has already seen.
import { SERVICE_ZONE, SERVICES, isNimbusError, type Zone } from '@nimbus/protocol';
import { readDnsServers } from '../dns/dns-servers.js';
import type { LocalStore } from '../store/local-store.js';
import { sessionConnector } from '../sync/open-engine.js';
import type { SyncTransport } from '../sync/ports.js';
import { WATCH_TOKEN_KEY } from '../sync/pull.js';

export interface FeedWatchOptions {
  /** The signed-in transport, or null when signed out. */
  readonly connect: () => Promise<Pick<SyncTransport, 'changes'> | null>;
  /** Where to start: the engine's last feed token (undefined before any pull). */
  readonly startToken: () => string | undefined;
  /** The zones of the services that run now. */
  readonly zones: () => readonly Zone[];
}

/**
 * One long-poll: `seconds` is how long the server may hold it (≤ 60). True: the feed moved, storage changed, or the
 * account switched a service on or off.
 */
export type TimedFeedWait = (seconds: number, signal: AbortSignal) => Promise<boolean>;

/**
 * A FeedWait that keeps its own token, moved past every page it sees. The engine pulls each zone
 * with a token of its own, and any one of those can be behind another zone's changes: waiting from
 * it would answer at once, again and again. This one answers "changed" once per change, then waits.
 */
export function feedWatch(options: FeedWatchOptions): TimedFeedWait {
  let token: string | undefined;
  return async (seconds, signal) => {
    const transport = await options.connect();
    if (!transport) throw new Error('signed out: nothing to listen to until nimbus login');
    token ??= options.startToken();
    // Never pulled yet: the pass that runs now sets the engine's position; start from it next time.
    if (token === undefined) return true;
    try {
      const page = await transport.changes({ since: token, zones: options.zones(), limit: 50, wait: seconds }, signal);
      token = page.token;
      return page.changes.length > 0 || page.storageChanged === true || page.servicesChanged === true;
    } catch (error) {
      if (isNimbusError(error) && error.kind === 'CHANGE_TOKEN_EXPIRED') {
        token = undefined;
        return true;
      }
      throw error;
    }
  };
}

/** The feed watch of a NIMBUS_HOME: its session, the engine's last token and the services switched on (read from `store`). */
export function homeFeedWatch(home: string, store: LocalStore, now: () => number = Date.now): TimedFeedWait {
  const connect = sessionConnector(home, now, { dnsServers: () => readDnsServers(store) });
  return feedWatch({
    connect,
    startToken: () => store.getMeta(WATCH_TOKEN_KEY),
    zones: () => {
      const settings = store.effectiveServiceSettings();
      const metered = store.isMetered();
      return SERVICES.filter((s) => settings[s].enabled && (!metered || settings[s].cellular)).map((s) => SERVICE_ZONE[s]);
    },
  });
}
