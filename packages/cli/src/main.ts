// Parses argv and runs one command; returns the exit code.
import { AccountMismatchError } from '@nimbus/client';
import { PROTOCOL_VERSION } from '@nimbus/protocol';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAccount } from './commands/account.js';
import { registerAgent } from './commands/agent.js';
import { registerBackup } from './commands/backup.js';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLogin } from './commands/login.js';
import { registerLogout } from './commands/logout.js';
import { registerNetwork } from './commands/network.js';
import { registerPhotos } from './commands/photos.js';
import { registerServe } from './commands/serve.js';
import { registerServices } from './commands/services.js';
import { registerStatus } from './commands/status.js';
import { registerStorage } from './commands/storage.js';
import { registerSync } from './commands/sync.js';
import { EXIT, Exit, UserError, out } from './output.js';

export { quietOnClosedPipe } from './output.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('nimbus')
    .description('Nimbus — a personal cloud whose sync never stops silently')
    .version(`${cliVersion()} (protocol ${PROTOCOL_VERSION})`, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(run nimbus --help for the commands)')
    .addHelpText(
      'after',
      [
        '',
        'Start here:',
        '  nimbus account create --server URL --email EMAIL   (once per person; or ask your server admin)',
        '  nimbus login --server URL --email EMAIL            (password from NIMBUS_PASSWORD or a prompt)',
        '  nimbus sync                                        (once), or nimbus agent (keeps syncing)',
        '  nimbus status                                      (what is happening, and the fix when it is stuck)',
        '',
        'Files go in ~/Nimbus/{Contacts,Notes,Photos,Drive} (NIMBUS_LIBRARY moves it); state lives in ~/.nimbus (NIMBUS_HOME).',
        'Exit codes: 0 done, 1 failed, 2 wrong usage, 3 sync paused (the banner says why and how to fix it).',
      ].join('\n'),
    );
  registerServe(program);
  registerAccount(program);
  registerLogin(program);
  registerLogout(program);
  registerSync(program);
  registerAgent(program);
  registerStatus(program);
  registerServices(program);
  registerNetwork(program);
  registerStorage(program);
  registerPhotos(program);
  registerBackup(program);
  registerDoctor(program);
  registerConfig(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof Exit) return error.code;
    if (error instanceof UserError || error instanceof AccountMismatchError) {
      out.error(error.message);
      return error instanceof UserError ? error.code : EXIT.failure;
    }
    out.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return EXIT.failure;
  }
}

/** This package's version, read from its package.json (two folders up from src/ and from dist/). */
function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
