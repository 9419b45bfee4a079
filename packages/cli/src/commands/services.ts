// `nimbus services list|enable|disable SERVICE… [--cellular on|off]`: which services sync on this device.
import { SERVICES, type Service } from '@nimbus/protocol';
import type { Command } from 'commander';
import { parseOnOff, parseServices, withStore } from '../device.js';
import { out } from '../output.js';

interface ServiceFlags {
  cellular?: string;
  json?: boolean;
}

export function registerServices(program: Command): void {
  const services = program.command('services').description('choose which services sync on this device');
  services
    .command('list')
    .description('each service: on or off, and whether it may use cellular (metered) data')
    .option('--json', 'machine-readable')
    .action(async (flags: ServiceFlags) => {
      await withStore((store) => {
        const settings = store.serviceSettings();
        if (flags.json) return out.json({ services: SERVICES.map((s) => ({ service: s, ...settings[s] })) });
        for (const s of SERVICES) {
          out.line(`${s.padEnd(10)} ${settings[s].enabled ? 'on ' : 'off'}  cellular ${settings[s].cellular ? 'on' : 'off'}`);
        }
      });
    });
  for (const enabled of [true, false]) {
    services
      .command(`${enabled ? 'enable' : 'disable'} [services...]`)
      .description(enabled ? 'sync these services on this device' : 'stop syncing these services here (their files stay)')
      .option('--cellular <on|off>', 'also allow or forbid them on cellular (metered) data')
      .action(async (names: string[], flags: ServiceFlags) => {
        const chosen = parseServices(names);
        const cellular = flags.cellular === undefined ? undefined : parseOnOff(flags.cellular, '--cellular');
        await withStore((store) => {
          store.tx(() => {
            for (const s of chosen) store.setServiceSettings(s, { enabled, ...(cellular === undefined ? {} : { cellular }) });
          });
          const settings = store.serviceSettings();
          for (const s of chosen) out.line(describe(s, settings[s]));
        });
      });
  }
}

function describe(service: Service, settings: { enabled: boolean; cellular: boolean }): string {
  if (!settings.enabled) return `${service}: off (its files stay on this device; nothing syncs until you enable it)`;
  return `${service}: on${settings.cellular ? '' : ', Wi-Fi only (waits while the network is metered)'}`;
}
