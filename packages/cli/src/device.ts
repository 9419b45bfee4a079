// This device's folders: NIMBUS_HOME (state) and NIMBUS_LIBRARY (the synced library), checked with one-line errors.
import { LocalStore, nimbusHome, stateFilePath } from '@nimbus/client';
import { isService, SERVICES, type Service } from '@nimbus/protocol';
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT, UserError } from './output.js';

/** The library's service folders. */
export const LIBRARY_FOLDERS = ['Contacts', 'Notes', 'Photos', 'Drive'] as const;

/** The synced library: NIMBUS_LIBRARY, or ~/Nimbus. */
export function nimbusLibrary(env: NodeJS.ProcessEnv = process.env): { path: string; explicit: boolean } {
  const value = env['NIMBUS_LIBRARY'];
  return value !== undefined && value !== '' ? { path: resolve(value), explicit: true } : { path: join(homedir(), 'Nimbus'), explicit: false };
}

/**
 * The library folder, ready to sync. The default ~/Nimbus is made on first use; a NIMBUS_LIBRARY
 * that does not exist is a mistake worth saying (a typo would otherwise sync into a new empty folder).
 */
export async function libraryFolder(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { path, explicit } = nimbusLibrary(env);
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
  if (found && !found.isDirectory()) throw new UserError(`the library ${path} is not a folder: set NIMBUS_LIBRARY to a folder`, EXIT.usage);
  if (!found) {
    if (explicit) throw new UserError(`the library folder ${path} does not exist: create it (mkdir -p ${path}) or fix NIMBUS_LIBRARY`, EXIT.usage);
    await mkdir(path, { recursive: true });
  }
  // The service folders show where files go (a new user's first look at an empty library).
  for (const folder of LIBRARY_FOLDERS) await mkdir(join(path, folder), { recursive: true });
  return path;
}

/** Runs `fn` with this home's state database open (created if absent), closing it after. */
export async function withStore<T>(fn: (store: LocalStore, home: string) => T | Promise<T>): Promise<T> {
  const home = nimbusHome();
  const store = new LocalStore(stateFilePath(home));
  try {
    return await fn(store, home);
  } finally {
    store.close();
  }
}

/** Service names from argv: all known, at least one; otherwise a usage error naming the bad one. */
export function parseServices(names: readonly string[]): Service[] {
  if (names.length === 0) throw new UserError(`name at least one service (${SERVICES.join(', ')})`, EXIT.usage);
  const out: Service[] = [];
  for (const raw of names.flatMap((n) => n.split(',')).map((n) => n.trim().toLowerCase()).filter((n) => n !== '')) {
    if (!isService(raw)) throw new UserError(`unknown service "${raw}" (services: ${SERVICES.join(', ')})`, EXIT.usage);
    if (!out.includes(raw)) out.push(raw);
  }
  return out;
}

/** `on`/`off` (and the obvious synonyms) → boolean; anything else is a usage error. */
export function parseOnOff(value: string, flag: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'yes', 'true', '1'].includes(v)) return true;
  if (['off', 'no', 'false', '0'].includes(v)) return false;
  throw new UserError(`${flag} takes on or off, not "${value}"`, EXIT.usage);
}
