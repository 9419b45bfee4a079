// `nimbus services list|enable|disable SERVICE… [--cellular on|off] [--account]`: which services sync on this device,
// and (--account) on every device of the account. A service runs here when it is on both here and for the account.
import type { LocalStore } from '@nimbus/client';
import { SERVICES, type AccountServices, type Service, type ServiceSetting } from '@nimbus/protocol';
import type { Command } from 'commander';
import { parseOnOff, parseServices, withStore } from '../device.js';
import { out } from '../output.js';
import { api, connect, loadSession, signedIn } from '../session.js';

interface ServiceFlags {
  cellular?: string;
  json?: boolean;
  account?: boolean;
}

/** `services list` asks the server for the account's switches, but not for longer than this (else: as last heard). */
const LIST_TIMEOUT_MS = 3_000;

export function registerServices(program: Command): void {
  const services = program.command('services').description('choose which services sync on this device (or, with --account, on all your devices)');
  services
    .command('list')
    .description("each service: on or off here and for the account, and whether it may use cellular (metered) data")
    .option('--json', 'machine-readable')
    .action(async (flags: ServiceFlags) => {
      await withStore(async (store, home) => {
        const fresh = await refreshAccountServices(store, home);
        const device = store.serviceSettings();
        const account = store.accountServices();
        if (flags.json) {
          return out.json({
            services: SERVICES.map((s) => ({ service: s, ...device[s], account: account[s], effective: effective(device[s], account[s]) })),
            accountFresh: fresh,
          });
        }
        for (const s of SERVICES) out.line(listLine(s, device[s], account[s]));
        if (!fresh) out.line('(account switches as last heard: the server did not answer, or this device is signed out)');
      });
    });
  for (const enabled of [true, false]) {
    services
      .command(`${enabled ? 'enable' : 'disable'} [services...]`)
      .description(enabled ? 'sync these services on this device' : 'stop syncing these services here (their files stay)')
      .option('--cellular <on|off>', 'also allow or forbid them on cellular (metered) data')
      .option('--account', 'for every device of the account (the server keeps it; each device obeys at its next sync)')
      .action(async (names: string[], flags: ServiceFlags) => {
        const chosen = parseServices(names);
        const cellular = flags.cellular === undefined ? undefined : parseOnOff(flags.cellular, '--cellular');
        const change = { enabled, ...(cellular === undefined ? {} : { cellular }) };
        if (flags.account) return setForAccount(chosen, change);
        await withStore((store) => {
          store.tx(() => {
            for (const s of chosen) store.setServiceSettings(s, change);
          });
          const settings = store.serviceSettings();
          const account = store.accountServices();
          for (const s of chosen) out.line(describe(s, settings[s], account[s]));
        });
      });
  }
}

async function setForAccount(chosen: readonly Service[], change: Partial<ServiceSetting>): Promise<void> {
  const { session, client } = await signedIn();
  const update = Object.fromEntries(chosen.map((s) => [s, change]));
  const account = await api(() => client.setAccountServices(update), session);
  await withStore((store) => store.setAccountServices(account));
  for (const s of chosen) {
    const one = account[s];
    out.line(`${s}: ${one.enabled ? `on for the account${one.cellular ? '' : ', Wi-Fi only'}` : 'off for the account: it stops on every device at its next sync (files stay)'}`);
  }
}

/** Reads the account's switches into the store; false when they could not be had (signed out, unreachable). */
async function refreshAccountServices(store: LocalStore, home: string): Promise<boolean> {
  const session = await loadSession(home).catch(() => undefined);
  if (!session) return false;
  try {
    store.setAccountServices(await connect(session.server, session, home, LIST_TIMEOUT_MS).accountServices());
    return true;
  } catch {
    return false;
  }
}

function effective(device: ServiceSetting, account: ServiceSetting): ServiceSetting {
  return { enabled: device.enabled && account.enabled, cellular: device.cellular && account.cellular };
}

function listLine(service: Service, device: ServiceSetting, account: AccountServices[Service]): string {
  const here = `${device.enabled ? 'on ' : 'off'}  cellular ${device.cellular ? 'on ' : 'off'}`;
  const notes: string[] = [];
  if (!account.enabled) notes.push('off for the account: does not sync on any device');
  else if (!account.cellular) notes.push('Wi-Fi only for the account');
  return `${service.padEnd(10)} ${here}${notes.length > 0 ? `  — ${notes.join('; ')}` : ''}`;
}

function describe(service: Service, settings: ServiceSetting, account: ServiceSetting): string {
  const forAccount = account.enabled ? '' : ` — but it is off for the account, so nothing syncs until it is on there too (nimbus services enable ${service} --account)`;
  if (!settings.enabled) return `${service}: off (its files stay on this device; nothing syncs until you enable it)`;
  return `${service}: on${settings.cellular ? '' : ', Wi-Fi only (waits while the network is metered)'}${forAccount}`;
}
