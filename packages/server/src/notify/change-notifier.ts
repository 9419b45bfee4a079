// The live change notification port: "account X's change feed moved" (or "its storage changed") reaches every
// waiting reader at once.

/**
 * What happened to an account: its feed moved to `seq`, or its storage changed in a way a paused device
 * cares about (space freed, quota raised or lowered) without necessarily moving the feed it listens to.
 */
export type AccountEvent =
  | { readonly kind: 'feed'; readonly seq: number }
  | { readonly kind: 'storage' }
  /** The account's per-service switches changed (devices re-read them and obey). */
  | { readonly kind: 'services' }
  /** A device reported a new sync status (watchers of GET /v1/devices answer). */
  | { readonly kind: 'devices' };

/** Called after a commit that moved the account's feed or changed its storage. */
export type ChangeListener = (event: AccountEvent) => void;

/**
 * Tells readers of an account's change feed that it moved, so long-polls answer at once instead
 * of on their timeout.
 *
 * Contract:
 * - `publish` is called AFTER the write transaction committed (a listener that re-reads the feed
 *   sees the change). It never throws and never waits for listeners: a slow or failing listener
 *   cannot fail or delay the write that published.
 * - Delivery is at-most-once and best effort (a bus adapter may drop messages while it reconnects):
 *   a notification is only a hint to re-read. Readers must still re-read the feed with their token,
 *   and must not rely on the order or on a feed event's `seq` being the newest (two publishes may arrive swapped).
 * - A listener hears only its own account's publishes, from any server process sharing the
 *   database (the in-process adapter covers one process; NATS/Redis adapters cover several).
 * - `subscribe` returns the unsubscribe function; calling it twice is harmless. Subscribe BEFORE
 *   reading the feed, so a commit between the read and the wait is not missed.
 * - `close` drops every subscription; later publishes are ignored.
 */
export interface ChangeNotifier {
  publish(accountId: string, event: AccountEvent): void;
  subscribe(accountId: string, listener: ChangeListener): () => void;
  close(): Promise<void>;
}
