// Wire shapes of what devices report about their sync (PUT /v1/devices/current/status, GET /v1/devices) and of the
// account's per-service settings (GET/PUT /v1/account/services).
import { z } from 'zod';
import { SERVICES, serviceSchema, syncStatusJsonSchema } from './sync-status.js';

/**
 * A device's own status, as `nimbus status --json` prints it there, plus `banner`: the one-glance line
 * `nimbus status` shows on that device (cause and fix in plain words). Sent after each pass and on every change of
 * state; best effort (a device that cannot reach the server cannot report: its `lastSeenAt` tells how old this is).
 */
export const deviceStatusReport = syncStatusJsonSchema.extend({ banner: z.string().max(2000) });
export type DeviceStatusReport = z.infer<typeof deviceStatusReport>;

/** A stored report with the server's time of receipt. */
export const deviceStatusView = deviceStatusReport.extend({ reportedAt: z.number() });
export type DeviceStatusView = z.infer<typeof deviceStatusView>;

/** `wait=N` (seconds, 0–60) with `since=REVISION`: a long-poll until the listing differs from that revision. */
export const devicesQuery = z.strictObject({
  since: z.string().max(100).optional(),
  wait: z.coerce.number().int().min(0).max(60).default(0),
});

/** One service's switch for the whole account: off stops it on every device; cellular off keeps it to Wi-Fi everywhere. */
export const serviceSettingSchema = z.object({ enabled: z.boolean(), cellular: z.boolean() });
export type ServiceSetting = z.infer<typeof serviceSettingSchema>;

/** GET /v1/account/services and the answer of PUT: every service's account-level switch. */
export const accountServicesSchema = z.record(serviceSchema, serviceSettingSchema);
export type AccountServices = z.infer<typeof accountServicesSchema>;

/** PUT /v1/account/services: only the services and fields to change, e.g. `{"photos": {"enabled": false}}`. */
export const accountServicesUpdate = z.partialRecord(
  serviceSchema,
  z.strictObject({ enabled: z.boolean().optional(), cellular: z.boolean().optional() }),
);
export type AccountServicesUpdate = z.infer<typeof accountServicesUpdate>;

/** What an account has before anyone changes it: everything on, cellular allowed. */
export function defaultAccountServices(): AccountServices {
  return Object.fromEntries(SERVICES.map((s) => [s, { enabled: true, cellular: true }])) as AccountServices;
}
