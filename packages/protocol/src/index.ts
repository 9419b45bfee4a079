// @nimbus/protocol: wire types, schemas, cause codes and the API version. No I/O.
export * from './errors.js';
export * from './version.js';
export * from './zones.js';
export * from './limits.js';
export * from './auth.js';
export * from './records.js';
export * from './blobs.js';
export * from './blob-pack.js';
export * from './backups.js';
export * from './storage.js';
export * from './probe.js';
export * from './sync-status.js';
export * from './sizes.js';
export * from './devices.js';
