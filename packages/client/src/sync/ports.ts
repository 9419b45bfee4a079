// The engine's ports: what a pass needs from the outside world, so tests can drive it deterministically.
import type { ApiClient } from '../api-client.js';
import type { LibraryFs, ServiceAdapter } from '../adapters/adapter.js';
import type { ProbeResult } from '../engine/classify.js';
import type { AccountServices } from '@nimbus/protocol';
import type { LocalStore } from '../store/local-store.js';
import type { StatusSink } from './status-report.js';

/** The API calls the engine makes (the ApiClient has them all; a test may wrap or fake them). */
export type SyncTransport = Pick<
  ApiClient,
  | 'writeRecords'
  | 'getRecord'
  | 'changes'
  | 'checkBlobs'
  | 'createUpload'
  | 'getUpload'
  | 'putUploadChunk'
  | 'completeUpload'
  | 'uploadBlobPack'
  | 'downloadBlob'
  | 'accountServices'
  | 'reportStatus'
>;

export interface EngineDeps {
  readonly store: LocalStore;
  /** One per service that has a library folder; services without one only pull nothing and push nothing. */
  readonly adapters: readonly ServiceAdapter[];
  readonly library: LibraryFs;
  /** Partial downloads live here (`<sha>.part`) and resume with Range after a crash. */
  readonly downloadsDir: string;
  /** The clock (ms since epoch). */
  readonly now: () => number;
  /**
   * The signed-in device's transport, read afresh at the start of every pass (a new `nimbus login` is
   * picked up without a restart); null when signed out.
   */
  readonly connect: () => Promise<SyncTransport | null>;
  /** Optional connectivity probe, run after a network-looking failure to tell its cause apart. */
  readonly probe?: () => Promise<ProbeResult | undefined>;
  readonly tuning?: Partial<EngineTuning>;
  /**
   * The account's service switches (GET /v1/account/services), asked at the start of every pass beside the scan; a
   * service off for the account does not run here. Without it only this device's switches count.
   */
  readonly accountServices?: (signal?: AbortSignal) => Promise<AccountServices>;
  /** Where this device's status is reported (PUT /v1/devices/current/status); without it, nowhere. */
  readonly statusSink?: StatusSink;
}

export interface EngineTuning {
  /** Records per POST /v1/records/batch (≤ LIMITS.batchMaxRecords). */
  batchSize: number;
  /** Records per change-feed page (≤ LIMITS.feedMaxPage). */
  feedPageSize: number;
  /**
   * Bytes per upload PUT. The server keeps whatever part of a cut PUT arrived, so this bounds a request, not
   * how much a resume sends again; few PUTs keep a big file streaming (each one waits for its answer).
   */
  chunkBytes: number;
  /** Files modified less than this ago are left for the next scan (still being written). */
  settleMs: number;
  /** The status watchdog: no progress for this long while work is pending shows "stalled". */
  stallAfterMs: number;
  /** Push rounds per pass (conflicts resolve in the next round). */
  maxRounds: number;
  /** Records of one feed page applied at the same time (not in Drive, where order matters). */
  applyConcurrency: number;
}

export const DEFAULT_TUNING: EngineTuning = {
  batchSize: 1000,
  feedPageSize: 2500,
  chunkBytes: 1024 * 1024 * 1024,
  settleMs: 0,
  stallAfterMs: 5 * 60_000,
  maxRounds: 8,
  applyConcurrency: 16,
};
