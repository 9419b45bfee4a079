// `nimbus network [metered on|off|auto]`: whether this device's network is metered (cellular, a hotspot), so
// services not allowed on cellular wait for Wi-Fi instead of using the data plan. Waiting is not a failure. The
// user's on/off wins; `auto` (the default) follows the operating system's hint where there is one (NetworkManager).
import { readSystemMetered, type LocalStore } from '@nimbus/client';
import { SERVICES, type NetworkStatus, type Service } from '@nimbus/protocol';
import type { Command } from 'commander';
import { parseOnOff, withStore } from '../device.js';
import { EXIT, out, UserError } from '../output.js';

export function registerNetwork(program: Command): void {
  const network = program
    .command('network')
    .description("this device's network: whether it is metered (and who says so), and which services wait for Wi-Fi")
    .option('--json', 'machine-readable')
    .action(async (flags: { json?: boolean }) => {
      const hint = await readSystemMetered();
      await withStore((store) => {
        store.setSystemMeteredHint(hint);
        const status = store.networkStatus();
        const waiting = waitingForWifi(store, status.metered);
        if (flags.json) return out.json({ ...status, waitingForWifi: waiting });
        out.line(describe(status, waiting));
      });
    });
  network
    .command('metered <on|off|auto>')
    .description('on: this network costs data (cellular, a hotspot) — services with cellular off wait for Wi-Fi; auto: follow the system')
    .action(async (value: string) => {
      const metered = parseMetered(value);
      const hint = metered === undefined ? await readSystemMetered() : undefined;
      await withStore((store) => {
        store.setMetered(metered);
        if (metered === undefined) store.setSystemMeteredHint(hint);
        const status = store.networkStatus();
        out.line(describe(status, waitingForWifi(store, status.metered)));
      });
    });
}

/** on / off, or auto (undefined: the user's say is withdrawn). */
function parseMetered(value: string): boolean | undefined {
  if (value.trim().toLowerCase() === 'auto') return undefined;
  try {
    return parseOnOff(value, 'metered');
  } catch {
    throw new UserError(`metered takes on, off or auto, not "${value}"`, EXIT.usage);
  }
}

/** The services switched on but not allowed on cellular: they wait while the network is metered. */
function waitingForWifi(store: LocalStore, metered: boolean): Service[] {
  const settings = store.effectiveServiceSettings();
  return metered ? SERVICES.filter((s) => settings[s].enabled && !settings[s].cellular) : [];
}

/** Who decided, in words. */
export function meteredSource(status: NetworkStatus): string {
  const system = status.system ? `${status.system.by} says "${status.system.says}"` : undefined;
  if (status.source === 'setting') return `your setting (nimbus network metered auto hands it back to the system${system ? `, where ${system}` : ''})`;
  if (status.source === 'system') return system ?? 'the system';
  return 'no setting, and the system gives no hint (nimbus network metered on|off)';
}

function describe(status: NetworkStatus, waiting: readonly string[]): string {
  const decided = `\nDecided by: ${meteredSource(status)}.`;
  if (!status.metered) return `Network: not metered — every service that is on syncs.${decided}`;
  if (waiting.length === 0) return `Network: metered — every service that is on may use cellular data, so all sync.${decided}`;
  return `Network: metered — ${waiting.join(', ')} wait for Wi-Fi (nimbus services enable SERVICE --cellular on lets one through).${decided}`;
}
