// The public contract of `nimbus status --json`: services, the SyncFailure value and the status document.
import { z } from 'zod';
import { AUTH_REASONS, CAUSES, FAMILIES, type AuthReason, type Cause, type Family } from './errors.js';
import type { Zone } from './zones.js';

/** The user-facing service names (`nimbus services`, `--keep`, status). "passwords" is stored in the keychain zone. */
export const SERVICES = ['contacts', 'notes', 'photos', 'drive', 'passwords', 'backups'] as const;
export type Service = (typeof SERVICES)[number];
export const serviceSchema = z.enum(SERVICES);

/** The record zone each service's data lives in. */
export const SERVICE_ZONE: Readonly<Record<Service, Zone>> = {
  contacts: 'contacts',
  notes: 'notes',
  photos: 'photos',
  drive: 'drive',
  passwords: 'keychain',
  backups: 'backups',
};

/** The service a zone belongs to (the inverse of SERVICE_ZONE). */
export const ZONE_SERVICE: Readonly<Record<Zone, Service>> = {
  contacts: 'contacts',
  notes: 'notes',
  photos: 'photos',
  drive: 'drive',
  keychain: 'passwords',
  backups: 'backups',
};

/** Small, vital services that keep syncing under the essential allowance when storage is full. */
export const ESSENTIAL_SERVICES: readonly Service[] = ['contacts', 'notes', 'passwords'];

export function isService(value: string): value is Service {
  return (SERVICES as readonly string[]).includes(value);
}

const causeSchema = z.enum(Object.values(CAUSES) as [Cause, ...Cause[]]);
const familySchema = z.enum(Object.values(FAMILIES) as [Family, ...Family[]]);
const authReasonSchema = z.enum(Object.values(AUTH_REASONS) as [AuthReason, ...AuthReason[]]);

/** One thing a person (or `nimbus doctor --fix`) can do. `id` is stable; `command` is the command to type, if any. */
export const remedySchema = z.object({
  id: z.string(),
  text: z.string(),
  command: z.string().optional(),
});
export type Remedy = z.infer<typeof remedySchema>;

/** Why sync stopped, what it affects and what fixes it. Made only by the client's classifier. */
export const syncFailureSchema = z.object({
  code: z.literal('SYNC_FAIL'),
  cause: causeSchema,
  family: familySchema,
  /** One plain sentence for a person. */
  message: z.string(),
  /** The services that are waiting because of this failure (the others go on). */
  affects: z.array(serviceSchema),
  remedies: z.array(remedySchema),
  /** RATE_LIMITED / SERVER_UNAVAILABLE: when the server said to try again (ms since epoch). */
  retryAt: z.number().optional(),
  /** QUOTA_EXCEEDED */
  usedBytes: z.number().optional(),
  quotaBytes: z.number().optional(),
  /** CLOCK_SKEW: how far this device's clock is off, client − server, in ms (positive = ahead). */
  offsetMs: z.number().optional(),
  /** AUTH_REVOKED / AUTH_EXPIRED: why the session ended. */
  reason: authReasonSchema.optional(),
  /** NETWORK_CAPTIVE_PORTAL: the sign-in page, when known. */
  portalUrl: z.string().optional(),
});
export type SyncFailure = z.infer<typeof syncFailureSchema>;

/** The four states of the sync engine. */
export const SYNC_STATES = {
  /** Up to date: nothing pending that is allowed to run. */
  idle: 'idle',
  /** Work is pending and moving (or stalled, see `stalled`). */
  syncing: 'syncing',
  /** A failure stops some lanes; `failure` says why. */
  paused: 'paused',
  /** No session on this device. */
  signed_out: 'signed_out',
} as const;
export type SyncState = (typeof SYNC_STATES)[keyof typeof SYNC_STATES];

/** Why a service is not running although it has work: not a failure. */
export const serviceWaitingSchema = z.enum(['wifi']);

export const setAsideItemSchema = z.object({ id: z.string(), reason: z.string() });
export type SetAsideItem = z.infer<typeof setAsideItemSchema>;

export const serviceStatusSchema = z.object({
  enabled: z.boolean(),
  /** Allowed to sync on a metered (cellular) network. */
  cellular: z.boolean(),
  pending: z.number().int().nonnegative(),
  lastSyncedAt: z.number().nullable(),
  /** Items that kept failing: kept, shown, never blocking the rest. */
  setAside: z.array(setAsideItemSchema),
  waiting: serviceWaitingSchema.nullable().optional(),
  /** `enabled` is false (or `cellular` is) because the account switched it off for every device, not this device. */
  offForAccount: z.boolean().optional(),
});
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

/**
 * Whether this device's network counts as metered, and who decided: the user (`nimbus network metered on|off`,
 * which wins), the operating system's hint (NetworkManager's metered flag), or neither (not metered).
 */
export const networkStatusSchema = z.object({
  metered: z.boolean(),
  source: z.enum(['setting', 'system', 'none']),
  /** The system's own answer when it gave one, e.g. `{ by: 'NetworkManager', says: 'yes (guessed)' }`. */
  system: z.object({ by: z.string(), says: z.string(), metered: z.boolean() }).optional(),
});
export type NetworkStatus = z.infer<typeof networkStatusSchema>;

export const syncStatusJsonSchema = z.object({
  state: z.enum(Object.values(SYNC_STATES) as [SyncState, ...SyncState[]]),
  failure: syncFailureSchema.nullable(),
  pending: z.record(serviceSchema, z.number().int().nonnegative()),
  services: z.record(serviceSchema, serviceStatusSchema),
  lastSyncedAt: z.number().nullable(),
  /** Work is pending but nothing has moved for too long: never shown as "up to date". */
  stalled: z.boolean(),
  /** syncing: items done out of items seen in this run. */
  progress: z
    .object({
      done: z.number(),
      total: z.number(),
      /** Blob bytes moved out of bytes expected in this run (uploads and downloads), when a transfer ran. */
      bytesDone: z.number().optional(),
      bytesTotal: z.number().optional(),
    })
    .optional(),
  /** paused: since when, and when the next attempt is due (null: waiting for a trigger). */
  pausedSince: z.number().optional(),
  nextAttemptAt: z.number().nullable().optional(),
  /** signed_out: why the session ended, when known. */
  signedOutReason: authReasonSchema.optional(),
  /** Metered or not, and who said so. */
  network: networkStatusSchema.optional(),
});
export type SyncStatusJson = z.infer<typeof syncStatusJsonSchema>;
