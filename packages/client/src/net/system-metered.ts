// The operating system's hint that the network is metered: NetworkManager's flag, read with `nmcli` where it exists.
// Where it does not (no NetworkManager, macOS, a container) there is no hint and nothing is said: the user's
// `nimbus network metered on|off` is then the only word.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SystemMeteredHint } from '../store/local-store.js';

/** How long `nmcli` may take before its answer counts as none. */
const NMCLI_TIMEOUT_MS = 2_000;

const lookups = new Map<string, string | null>();

/**
 * Where `name` is on `PATH`, looked up once per PATH value (a missing `nmcli` costs one scan per process, not one
 * per pass); undefined when it is not there.
 */
export function findOnPath(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const key = `${name}\0${path}`;
  let found = lookups.get(key);
  if (found === undefined) {
    found = null;
    for (const dir of path.split(delimiter).filter((d) => d !== '')) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        found = join(dir, name);
        break;
      } catch {
        // not in this folder
      }
    }
    lookups.set(key, found);
  }
  return found ?? undefined;
}

/** Whether a hint can exist here at all (the agent does not poll without one). */
export const systemMeteredAvailable = (): boolean => findOnPath('nmcli') !== undefined;

/**
 * NetworkManager's metered flag for the connected device nmcli lists first (loopback aside), or undefined without
 * nmcli, without a connected device, or when nmcli fails. "yes" and "yes (guessed)" count as metered, as
 * NetworkManager advises; "no", "no (guessed)" and "unknown" do not.
 */
export async function readSystemMetered(): Promise<SystemMeteredHint | undefined> {
  const nmcli = findOnPath('nmcli');
  if (nmcli === undefined) return undefined;
  const text = await new Promise<string | undefined>((resolve) => {
    execFile(
      nmcli,
      ['-t', '-f', 'GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED', 'device', 'show'],
      // Its words are translated otherwise.
      { timeout: NMCLI_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
  return text === undefined ? undefined : parseNmcliMetered(text);
}

/** `nmcli -t -f GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED device show` → the hint. */
export function parseNmcliMetered(text: string): SystemMeteredHint | undefined {
  const devices: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'GENERAL.DEVICE' || devices.length === 0) devices.push({});
    const device = devices[devices.length - 1];
    if (device) device[key] = value;
  }
  // State 100 is "connected"; loopback counts for nothing.
  const primary = devices.find((d) => /^100\b/.test(d['GENERAL.STATE'] ?? '') && d['GENERAL.TYPE'] !== 'loopback');
  const says = primary?.['GENERAL.METERED'];
  if (says === undefined || says === '') return undefined;
  return { by: 'NetworkManager', says, metered: says === 'yes' || says === 'yes (guessed)' };
}
