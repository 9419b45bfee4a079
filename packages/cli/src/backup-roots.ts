// What `nimbus backup create` saves by default: the library, and NIMBUS_HOME's settings (never its databases or secrets).
import { LocalStore, nimbusHome, readDnsServers, readSession, stateFilePath, type BackupRoot } from '@nimbus/client';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { libraryFolder } from './device.js';

/** The settings of a home, exported as JSON so a backup holds them (the state database itself is left out). */
export const SETTINGS_EXPORT = 'settings.json';

/**
 * Left out of a home: the session (tokens are secrets, and dead after a restore anyway), the state and backup
 * databases with their journals (a mirror of the server, rebuilt by a sync), lock files, the agent's control socket,
 * downloads in progress and the CLI's code cache (compiled code the CLI runs as it finds it: never something to
 * bring back from a server, and useless to another build anyway).
 */
const HOME_EXCLUDED = /^(session\.json|.*\.sqlite(-wal|-shm|-journal)?|.*\.lock|.*\.sock|downloads|code-cache|.*\.tmp)$/;

export async function defaultBackupRoots(): Promise<BackupRoot[]> {
  const home = nimbusHome();
  await exportSettings(home);
  return [
    { name: 'library', source: await libraryFolder() },
    { name: 'settings', source: home, exclude: (abs) => dirname(abs) === home && HOME_EXCLUDED.test(basename(abs)) },
  ];
}

/** Writes $NIMBUS_HOME/settings.json: services, metered network, DNS servers, the server and account. */
async function exportSettings(home: string): Promise<void> {
  await mkdir(home, { recursive: true });
  const session = await readSession(home).catch(() => undefined);
  const settings: Record<string, unknown> = { server: session?.server ?? null, email: session?.email ?? null };
  if (existsSync(stateFilePath(home))) {
    const store = new LocalStore(stateFilePath(home), { readonly: true });
    try {
      Object.assign(settings, { services: store.serviceSettings(), metered: store.isMetered(), dns: readDnsServers(store) });
    } finally {
      store.close();
    }
  }
  const file = join(home, SETTINGS_EXPORT);
  await writeFile(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
