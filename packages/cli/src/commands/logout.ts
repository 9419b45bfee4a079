// `nimbus logout`: ends this device's session on the server (when it answers) and forgets it here.
import { forgetSyncState, nimbusHome, removeSession } from '@nimbus/client';
import { isNimbusError } from '@nimbus/protocol';
import type { Command } from 'commander';
import { runningAgent } from '../engine-session.js';
import { UserError, out } from '../output.js';
import { connect, loadSession } from '../session.js';

export function registerLogout(program: Command): void {
  program
    .command('logout')
    .description('sign this device out (its sync state stays, so signing in again resumes where it stopped)')
    .option('--forget', 'also forget what this device synced (to sign in to another account; the library files stay)')
    .action(async (flags: { forget?: boolean }) => {
      const home = nimbusHome();
      const session = await loadSession(home);
      if (flags.forget) {
        if (runningAgent(home) !== null) throw new UserError('nimbus agent is running on this device: stop it first (Ctrl-C or kill), then run nimbus logout --forget again');
        const dropped = await forgetSyncState(home);
        const lost = dropped === 0 ? '' : ` ${dropped} change${dropped === 1 ? '' : 's'} not yet sent ${dropped === 1 ? 'was' : 'were'} dropped from the queue (the files stay).`;
        out.line(`Forgot this device's sync state.${lost} The next account you sign in to receives the library's files as new.`);
      }
      if (!session) {
        if (!flags.forget) out.line('Not signed in.');
        return;
      }
      try {
        await connect(session.server, session, home, 5_000).signOut('current');
      } catch (error) {
        // Already revoked or expired: the server has ended it, nothing left to do there.
        if (!isNimbusError(error) || (error.kind !== 'AUTH_REVOKED' && error.kind !== 'AUTH_EXPIRED' && error.kind !== 'UNAUTHENTICATED')) {
          const why = error instanceof Error ? error.message : String(error);
          out.warn(
            `could not sign out on the server (${why}); this device's session ends when it expires, or sign it out from another device with nimbus account sign-out --device ${session.tokens.sessionId}`,
          );
        }
      }
      await removeSession(home);
      out.line(`Signed out of ${session.server} (${session.email}).`);
    });
}
