// @nimbus/server: the HTTP API. The CLI's `nimbus serve` calls startServer.
export { startServer, createLogger, type RunningServer, type StartOptions } from './server.js';
export { resolveServerConfig, parseSize, parseDuration, ConfigError, type ServerConfig, type ServerFlags } from './config.js';
export { buildApp } from './app.js';
export { openMetadataStore, type MetadataStore } from './db/metadata-store.js';
export type { BlobStore } from './blobs/blob-store.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
