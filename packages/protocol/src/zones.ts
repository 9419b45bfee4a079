// The per-service record zones and which of them are "essential".
import { z } from 'zod';

/** One zone per synced service. */
export const ZONES = ['contacts', 'notes', 'photos', 'drive', 'keychain', 'backups'] as const;
export type Zone = (typeof ZONES)[number];
export const zoneSchema = z.enum(ZONES);

/** Small, vital data that keeps syncing when the account is full (see ESSENTIAL_* limits). */
export const ESSENTIAL_ZONES: readonly Zone[] = ['contacts', 'notes', 'keychain'];

export function isZone(value: string): value is Zone {
  return (ZONES as readonly string[]).includes(value);
}
