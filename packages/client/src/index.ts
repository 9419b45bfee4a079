// @nimbus/client: the HTTP API client, the device's stored session and the sync engine.
export { ApiClient, TransportError, normalizeServerUrl, type ApiClientOptions } from './api-client.js';
export {
  SessionFileError,
  nimbusHome,
  readSession,
  removeSession,
  sessionFilePath,
  storedSession,
  writeSession,
  ACCOUNT_META_KEY,
  boundAccount,
  identityOf,
  loginCommand,
  sameAccount,
  type AccountIdentity,
  type StoredSession,
} from './session-file.js';
// The sync engine: local store, outbox, passes, and its wiring for a NIMBUS_HOME.
export type { BlobDownload, ChangesRequest } from './api-client.js';
export { LocalStore, stateFilePath, type ServiceSettings, type SystemMeteredHint } from './store/local-store.js';
export { Outbox, SET_ASIDE_AFTER, type OutboxOp, type OutboxBlob } from './store/outbox.js';
export { SyncEngine, type PassOutcome } from './sync/sync-engine.js';
export {
  AccountMismatchError,
  bindAccount,
  checkAccountForLogin,
  forgetSyncState,
  openEngine,
  sessionConnector,
  stateIsEmpty,
  type OpenEngineOptions,
} from './sync/open-engine.js';
export { leaveServices, recordSignedOut, unsentBeforeSignOut, type LeaveOptions, type LeaveResult } from './sync/sign-out.js';
export { describeUnsent, unsentChanges, type UnsentChange } from './sync/unsent-changes.js';
export { RECOVERED_FOLDER } from './sync/recovery-folder.js';
export { createAdapters } from './adapters/index-of-adapters.js';
export { DEFAULT_TUNING, type EngineDeps, type EngineTuning, type SyncTransport } from './sync/ports.js';
export { STATUS_META_KEY, readStoredStatus } from './sync/status-keeper.js';
// The agent (issue 3): one per NIMBUS_HOME, a loop of passes woken by the library, the server and settings.
export { AgentLockedError, acquireAgentLock, processAlive, type AgentLock } from './agent/agent-lock.js';
export { Backoff, type BackoffOptions } from './agent/backoff.js';
export { SyncAgent, type AgentPassOutcome, type TriggerReason, type TriggerSource } from './agent/agent.js';
export { runAgent, type RunAgentOptions } from './agent/run-agent.js';
export { systemTimers, ManualTimers, type Timers } from './agent/timers.js';
export { LIBRARY_SERVICES, formatAgo, formatBanner, formatBytes, shownServices, type BannerOptions } from './engine/remedies.js';
// The network: request deadlines, "reset network state", the connectivity probe (issue 4).
export { DEFAULT_REQUEST_TIMEOUT_MS, dropPooledConnections, timedFetch } from './net/timed-fetch.js';
export { PROBE_TIMEOUT_MS, probeConnectivity, probeUrlFor, type ProbeOptions } from './net/connectivity-probe.js';
export type { ProbeResult, ProbeStatus } from './engine/classify.js';
export { feedWatch, homeFeedWatch, type FeedWatchOptions, type TimedFeedWait } from './agent/feed-watch.js';
// DNS: the user's servers (`nimbus config set dns`), and the resolver every connection uses (issue 4).
export { DNS_SERVERS_META_KEY, DnsServersError, parseDnsServers, readDnsServers, readHomeDnsServers, writeDnsServers } from './dns/dns-servers.js';
export { ConfiguredResolver, DNS_QUERY_TIMEOUT_MS } from './dns/configured-lookup.js';
export { dnsRoute, resetDnsRoutes, type DnsRoute } from './dns/dns-route.js';
export { resetNetworkState } from './net/reset-network.js';
export { readSystemMetered } from './net/system-metered.js';
// `nimbus doctor`: the checks and the agent nudge of `--fix` (issue 4).
export { runDoctor, requestResume, RESUME_REQUEST_META_KEY, type DoctorInput } from './doctor/run-doctor.js';
export type { CheckStatus, DoctorCheck, DoctorReport } from './doctor/doctor-check.js';
export { classify, DNS_CODES, RETRY_QUIETLY } from './engine/classify.js';
export { pinPhotos, pinnedPhotos, readOptimizeSettings, releasePhotos, writeOptimizeSettings, type OptimizeSettings } from './photos/optimize-settings.js';
export { standinHashOf } from './adapters/photo-standin.js';
export type { MirrorItem } from './adapters/adapter.js';
// Device backups (issue 5): FastCDC chunks, an incremental cache, snapshots committed from a manifest, restore.
export { BACKUP_CHUNK_SIZES, FastCdc, GEAR, type ChunkSizes } from './backup/fastcdc.js';
export { ChunkReader } from './backup/file-chunks.js';
export { BackupCache, backupCachePath } from './backup/backup-cache.js';
export { scanTree, type BackupRoot, type ScanItem, type Skipped } from './backup/scan-tree.js';
export { createBackup, type BackupProgress, type BackupResult, type BackupTransport, type CreateBackupOptions } from './backup/create-backup.js';
export { RestoreRefused, restoreBackup, type RestoreOptions, type RestoreProgress, type RestoreResult } from './backup/restore-backup.js';
