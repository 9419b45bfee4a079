// `nimbus account …`: create an account, change the password, two-factor on/off, list and sign out devices.
import { nimbusHome, removeSession } from '@nimbus/client';
import { isNimbusError, type DeviceView } from '@nimbus/protocol';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { EXIT, UserError, out } from '../output.js';
import { askCode, checkCode, isInteractive, readSecret } from '../prompts.js';
import { api, connect, loadSession, signedIn, toUserError } from '../session.js';
import { checkEmail } from './login.js';

export function registerAccount(program: Command): void {
  const account = program.command('account').description('your account: create, password, two-factor, devices, sign-out');

  account
    .command('create')
    .description('create an account (password from NIMBUS_PASSWORD or a prompt); the first account on a server is its admin')
    .requiredOption('--server <url>', 'the Nimbus server, e.g. http://127.0.0.1:7070')
    .requiredOption('--email <email>', 'the new account email')
    .action(async (flags: { server: string; email: string }) => {
      const email = checkEmail(flags.email);
      const plain = connect(flags.server);
      // Signed in here as this server's admin? Then the call carries the token, so closed registration lets it through.
      const home = nimbusHome();
      const session = await loadSession(home).catch(() => undefined);
      const client = session && session.server === plain.server ? connect(plain.server, session, home) : plain;
      const password = await readSecret({ env: 'NIMBUS_PASSWORD', message: 'Choose a password', name: 'password', isNew: true });
      const created = await api(() => client.createAccount({ email, password }), { server: plain.server });
      out.line(`Created account ${created.email}${created.isAdmin ? ' (admin of this server)' : ''} on ${plain.server}.`);
      out.line(`Sign in with: nimbus login --server ${plain.server} --email ${created.email}`);
    });

  account
    .command('password')
    .description('change the password (current from NIMBUS_PASSWORD, new from NIMBUS_NEW_PASSWORD, or prompts); signs out your other devices')
    .action(async () => {
      const { session, client } = await signedIn();
      const current = await readSecret({ env: 'NIMBUS_PASSWORD', message: 'Current password', name: 'current password' });
      const next = await readSecret({ env: 'NIMBUS_NEW_PASSWORD', message: 'New password', name: 'new password', isNew: true });
      const { revokedSessions } = await api(() => client.changePassword(current, next), session);
      out.line(`Password changed. ${devicesPhrase(revokedSessions)} signed out; this device stays signed in.`);
    });

  registerTwoFactor(account);

  account
    .command('devices')
    .description('list the devices signed in to your account')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { session, client } = await signedIn();
      const devices = await api(() => client.devices(), session);
      if (flags.json) {
        out.json({ devices });
        return;
      }
      for (const device of devices) {
        out.line(describeDevice(device));
        out.line(`    ${describeDeviceSync(device)}`);
      }
    });

  account
    .command('sign-out')
    .description('sign out other devices, all devices, or one device by id (see nimbus account devices)')
    .option('--others', 'every device but this one')
    .option('--all', 'every device, this one too')
    .option('--device <id>', 'one device, by the id nimbus account devices shows')
    .action(async (flags: { others?: boolean; all?: boolean; device?: string }) => {
      const chosen = [flags.others, flags.all, flags.device !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new UserError('say which devices: --others, --all or --device ID (one of them)', EXIT.usage);
      const { home, session, client } = await signedIn();
      const answer = await api(
        () => (flags.device !== undefined ? client.signOutDevice(flags.device) : client.signOut(flags.all ? 'all' : 'others')),
        session,
      );
      out.line(`${devicesPhrase(answer.revokedSessions, flags.others ? 'other ' : '')} signed out.`);
      if (flags.all || flags.device === session.tokens.sessionId) {
        await removeSession(home);
        out.line('This device is signed out too: sign in again with nimbus login.');
      }
    });
}

function registerTwoFactor(account: Command): void {
  const twoFactor = account.command('2fa').description('two-factor authentication with an authenticator app');

  twoFactor
    .command('enable')
    .description('turn two-factor authentication on; signs out your other devices')
    .option('--code <code>', 'the 6-digit code from your authenticator app, to confirm a secret shown before')
    .action(async (flags: { code?: string }) => {
      const { session, client } = await signedIn();
      let code = flags.code === undefined ? undefined : checkCode(flags.code);
      if (code === undefined) {
        const setup = await api(() => client.twoFactorSetup(), session);
        out.line('Add this account to your authenticator app: scan the code below, or enter the secret by hand.');
        out.line(await QRCode.toString(setup.otpauthUri, { type: 'terminal', small: true }));
        out.line(`Secret: ${setup.secret}`);
        out.line(`URI:    ${setup.otpauthUri}`);
        if (!isInteractive()) {
          out.line('Then confirm with: nimbus account 2fa enable --code CODE (a new run without --code makes a new secret).');
          return;
        }
        code = await askCode('Code shown by the app');
      }
      const confirmed = code;
      try {
        const { revokedSessions } = await client.twoFactorEnable(confirmed);
        const others = revokedSessions === 0 ? '' : ` ${devicesPhrase(revokedSessions)} signed out: sign them in again with a code.`;
        out.line(`Two-factor authentication is on.${others}`);
      } catch (error) {
        if (isNimbusError(error) && error.kind === 'BAD_REQUEST' && flags.code !== undefined) {
          throw new UserError(`${error.message}: run nimbus account 2fa enable without --code first`);
        }
        throw toUserError(error, session);
      }
    });

  twoFactor
    .command('disable')
    .description('turn two-factor authentication off (password from NIMBUS_PASSWORD or a prompt)')
    .requiredOption('--code <code>', 'the current 6-digit code from your authenticator app')
    .action(async (flags: { code: string }) => {
      const code = checkCode(flags.code);
      const { session, client } = await signedIn();
      const password = await readSecret({ env: 'NIMBUS_PASSWORD', message: 'Password', name: 'password' });
      await api(() => client.twoFactorDisable(password, code), session);
      out.line('Two-factor authentication is off.');
    });
}

function devicesPhrase(count: number, which: 'other ' | '' = 'other '): string {
  if (count === 0) return `No ${which}device was`;
  return count === 1 ? `1 ${which}device was` : `${count} ${which}devices were`;
}

/** The device's sync as it last reported it: its state and cause, and its own one-glance line (the fix in plain words). */
function describeDeviceSync(device: DeviceView): string {
  const status = device.status;
  if (!status) return 'sync: not reported yet';
  const cause = status.failure ? ` (${status.failure.cause})` : '';
  const when = new Date(status.reportedAt).toISOString().slice(0, 16).replace('T', ' ');
  return `sync: ${status.state}${cause} — ${status.banner} [reported ${when} UTC]`;
}

function describeDevice(device: DeviceView): string {
  const when = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const mark = device.current ? '* ' : '  ';
  const here = device.current ? ' (this device)' : '';
  const from = device.ip ? `, from ${device.ip}` : '';
  return `${mark}${device.deviceName}${here} — signed in ${when(device.createdAt)} UTC, last seen ${when(device.lastSeenAt)} UTC${from} — id ${device.sessionId}`;
}
