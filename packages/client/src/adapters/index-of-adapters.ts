// The library's service adapters, in lane order of their services.
import type { ServiceAdapter } from './adapter.js';
import { createContactsAdapter } from './contacts.js';
import { createDriveAdapter } from './drive.js';
import { createNotesAdapter } from './notes.js';
import { createPhotosAdapter } from './photos.js';

export interface AdapterOptions {
  /** The clock for conflict-copy dates and contact REV stamps (tests pin it). */
  readonly now?: () => number;
}

/** Contacts, Notes, Photos and Drive adapters; `deviceName` labels conflict copies and note merge markers. */
export function createAdapters(deviceName: string, options: AdapterOptions = {}): ServiceAdapter[] {
  const now = options.now ?? Date.now;
  return [createContactsAdapter(deviceName, now), createNotesAdapter(deviceName, now), createPhotosAdapter(), createDriveAdapter(deviceName, now)];
}
