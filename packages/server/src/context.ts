// What every route module is handed: configuration, the two storage ports, the clock and the auth guard.
import type { BlobStore } from './blobs/blob-store.js';
import type { RequireAuth } from './auth/guard.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { MetadataStore } from './db/metadata-store.js';
import type { Metrics } from './metrics.js';
import type { ChangeNotifier } from './notify/change-notifier.js';

export interface ServerContext {
  config: ServerConfig;
  store: MetadataStore;
  blobs: BlobStore;
  clock: Clock;
  metrics: Metrics;
  requireAuth: RequireAuth;
  /** Live change notifications: batch writes publish after commit; feed long-polls listen. */
  notifier: ChangeNotifier;
}
