// `nimbus login`: signs this device in and keeps the session in $NIMBUS_HOME/session.json.
import { AccountMismatchError, checkAccountForLogin, identityOf, nimbusHome, writeSession } from '@nimbus/client';
import { emailSchema, isNimbusError, type LoginResponse } from '@nimbus/protocol';
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { EXIT, UserError, out } from '../output.js';
import { askCode, checkCode, isInteractive, readSecret } from '../prompts.js';
import { api, connect, loadSession, toUserError } from '../session.js';

interface LoginFlags {
  server: string;
  email: string;
  otp?: string;
  device?: string;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('sign this device in (password from NIMBUS_PASSWORD or a prompt)')
    .requiredOption('--server <url>', 'the Nimbus server, e.g. http://127.0.0.1:7070')
    .requiredOption('--email <email>', 'your account email')
    .option('--otp <code>', 'the 6-digit two-factor code, when two-factor authentication is on')
    .option('--device <name>', 'how this device is listed in nimbus account devices (default: the host name)')
    .action(async (flags: LoginFlags) => {
      const email = checkEmail(flags.email);
      const deviceName = (flags.device ?? hostname()).trim() || 'unnamed device';
      const otp = flags.otp === undefined ? undefined : checkCode(flags.otp, '--otp');
      const client = connect(flags.server);
      const password = await readSecret({ env: 'NIMBUS_PASSWORD', message: 'Password', name: 'password' });
      const context = { server: client.server, email };
      const attempt = (code: string | undefined): Promise<LoginResponse> =>
        client.login({ email, password, deviceName, ...(code ? { otp: code } : {}) });
      let answer: LoginResponse;
      try {
        answer = await attempt(otp);
      } catch (error) {
        if (!isNimbusError(error) || error.kind !== 'OTP_REQUIRED') throw toUserError(error, context);
        if (!isInteractive()) {
          throw new UserError('two-factor authentication is on for this account: add --otp CODE (from your authenticator app)', EXIT.usage);
        }
        const code = await askCode('Two-factor code');
        answer = await api(() => attempt(code), context);
      }

      const home = nimbusHome();
      const previous = await loadSession(home).catch(() => undefined);
      const { account, ...tokens } = answer;
      const session = { server: client.server, email: account.email, accountId: account.id, deviceName, tokens };
      try {
        // This home's state mirrors one account: another one must not receive its files by surprise.
        checkAccountForLogin(home, identityOf(session));
      } catch (error) {
        if (!(error instanceof AccountMismatchError)) throw error;
        await connect(client.server, session).signOut('current').catch(() => undefined);
        throw new UserError(error.message);
      }
      await writeSession(home, session);
      // Signing in again replaces this device's old session: end it on its server so it leaves the device list.
      if (previous && previous.tokens.sessionId !== answer.sessionId) {
        await connect(previous.server, previous)
          .signOut('current')
          .catch(() => undefined);
      }
      out.line(`Signed in to ${client.server} as ${account.email} (device "${deviceName}").`);
    });
}

export function checkEmail(email: string): string {
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) throw new UserError(`--email "${email}" is not an email address`, EXIT.usage);
  return parsed.data;
}
