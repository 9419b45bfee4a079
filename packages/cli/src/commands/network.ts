// `nimbus network [metered on|off]`: tells this device whether its network is metered (cellular, a hotspot), so
// services not allowed on cellular wait for Wi-Fi instead of using the data plan. Waiting is not a failure.
import { SERVICES, type Service } from '@nimbus/protocol';
import type { Command } from 'commander';
import { parseOnOff, withStore } from '../device.js';
import { out } from '../output.js';

export function registerNetwork(program: Command): void {
  const network = program
    .command('network')
    .description("this device's network: whether it is metered, and which services wait for Wi-Fi")
    .option('--json', 'machine-readable')
    .action(async (flags: { json?: boolean }) => {
      await withStore((store) => {
        const metered = store.isMetered();
        const settings = store.effectiveServiceSettings();
        const waiting = waitingForWifi(settings, metered);
        if (flags.json) return out.json({ metered, waitingForWifi: waiting });
        out.line(describe(metered, waiting));
      });
    });
  network
    .command('metered <on|off>')
    .description('on: this network costs data (cellular, a hotspot) — services with cellular off wait for Wi-Fi')
    .action(async (value: string) => {
      const metered = parseOnOff(value, 'metered');
      await withStore((store) => {
        store.setMetered(metered);
        const settings = store.effectiveServiceSettings();
        const waiting = waitingForWifi(settings, metered);
        out.line(describe(metered, waiting));
      });
    });
}

/** The services switched on but not allowed on cellular: they wait while the network is metered. */
function waitingForWifi(settings: Record<Service, { enabled: boolean; cellular: boolean }>, metered: boolean): Service[] {
  return metered ? SERVICES.filter((s) => settings[s].enabled && !settings[s].cellular) : [];
}

function describe(metered: boolean, waiting: readonly string[]): string {
  if (!metered) return 'Network: not metered — every service that is on syncs.';
  if (waiting.length === 0) return 'Network: metered — every service that is on may use cellular data, so all sync.';
  return `Network: metered — ${waiting.join(', ')} wait for Wi-Fi (nimbus services enable SERVICE --cellular on lets one through).`;
}
