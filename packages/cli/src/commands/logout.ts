// `nimbus logout [--keep SERVICES | --keep-all] [--force] [--forget]`: signs this device out, keeping the chosen
// services' files here (plain logout keeps them all, and the sync state, so `nimbus login` resumes where it
// stopped); the other services' files leave the device, their unsent changes saved in the library's Recovered/.
import {
  AgentLockedError,
  LIBRARY_SERVICES,
  LocalStore,
  acquireAgentLock,
  createAdapters,
  describeUnsent,
  forgetSyncState,
  leaveServices,
  nimbusHome,
  recordSignedOut,
  removeSession,
  stateFilePath,
  unsentBeforeSignOut,
  type AgentLock,
  type LeaveResult,
  type StoredSession,
  type UnsentChange,
} from '@nimbus/client';
import { isNimbusError, SERVICES, type Service } from '@nimbus/protocol';
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nimbusLibrary, parseServices } from '../device.js';
import { EXIT, UserError, out } from '../output.js';
import { connect, loadSession } from '../session.js';

interface LogoutFlags {
  keep?: string;
  keepAll?: boolean;
  force?: boolean;
  forget?: boolean;
}

export function registerLogout(program: Command): void {
  program
    .command('logout')
    .description('sign this device out; by default it keeps every file and its sync state, so signing in again resumes where it stopped')
    .option('--keep <services>', 'keep only these services on this device (comma list, e.g. contacts,notes; "none" for none); the others\' files leave it (they are on the server) and their unsent changes go to Recovered/ in the library')
    .option('--keep-all', 'keep every service on this device (the default)')
    .option('--force', 'sign out even with changes not yet sent (kept services send them at the next sign-in; the others\' go to Recovered/)')
    .option('--forget', 'also forget what this device synced (to sign in to another account; the kept files stay, and the next sign-in matches them with the account)')
    .action(async (flags: LogoutFlags) => {
      const keep = keptServices(flags);
      const leaving = SERVICES.filter((s) => !keep.has(s));
      const home = nimbusHome();
      const session = await loadSession(home);
      if (!session && !flags.forget && leaving.length === 0) {
        out.line('Not signed in.');
        return;
      }
      const lock = await logoutLock(home);
      try {
        const left = await leaveLibrary(home, session, leaving, flags);
        if (left) report(left);
        if (flags.forget) {
          const dropped = await forgetSyncState(home);
          const queued = dropped === 0 ? '' : ` ${dropped} queued change${dropped === 1 ? '' : 's'} left the queue (edits stay in the kept files; a delete not yet sent comes back).`;
          out.line(`Forgot this device's sync state.${queued} The next account you sign in to receives the library's files as new (the same account matches them with its own).`);
        }
        if (session) await endSession(home, session);
        else if (!flags.forget && !left) out.line('Not signed in.');
      } finally {
        lock.release();
      }
    });
}

/** --keep / --keep-all → the services that stay; both, or an unknown service, is a usage error. */
function keptServices(flags: LogoutFlags): Set<Service> {
  if (flags.keep !== undefined && flags.keepAll) throw new UserError('--keep and --keep-all do not go together: name the services to keep, or keep them all', EXIT.usage);
  if (flags.keep === undefined) return new Set(SERVICES);
  if (flags.keep.trim().toLowerCase() === 'none') return new Set();
  return new Set(parseServices([flags.keep]));
}

/** The agent (or a nimbus sync) must not sync while services leave: take its lock for the whole logout. */
async function logoutLock(home: string): Promise<AgentLock> {
  try {
    return await acquireAgentLock(home);
  } catch (error) {
    if (!(error instanceof AgentLockedError)) throw error;
    throw new UserError(`nimbus agent (or a nimbus sync, pid ${error.pid}) is syncing this device: stop the agent first (Ctrl-C or kill) or let the sync end, then run nimbus logout again`);
  }
}

/**
 * Refuses while changes are unsent (unless --force); then the services not kept leave the library. Returns what
 * left, or undefined when this home never synced anything.
 */
async function leaveLibrary(home: string, session: StoredSession | undefined, leaving: readonly Service[], flags: LogoutFlags): Promise<LeaveResult | undefined> {
  if (!existsSync(stateFilePath(home))) return undefined;
  const library = nimbusLibrary().path;
  const store = new LocalStore(stateFilePath(home));
  try {
    const adapters = isFolder(library) ? createAdapters(session?.deviceName ?? hostname()) : [];
    const unsent = await unsentBeforeSignOut(store, adapters, library);
    if (unsent.length > 0 && !flags.force) throw new UserError(refusal(unsent, leaving, library));
    if (session) recordSignedOut(store);
    if (leaving.length === 0) return undefined;
    return await leaveServices({ store, libraryRoot: library, adapters, leave: leaving, unsent });
  } finally {
    store.close();
  }
}

/** One line: what is unsent, and both ways out. */
function refusal(unsent: readonly UnsentChange[], leaving: readonly Service[], library: string): string {
  const services = (gone: boolean): string[] => [...new Set(unsent.filter((c) => leaving.includes(c.service) === gone).map((c) => c.service))];
  const kept = services(false);
  const lost = services(true);
  const then = [
    ...(kept.length > 0 ? [`${kept.join(', ')} changes stay here and go up when you sign in again`] : []),
    ...(lost.length > 0 ? [`${lost.join(', ')} changes are saved in ${join(library, 'Recovered')} first`] : []),
  ].join('; ');
  return `${describeUnsent(unsent)}: run nimbus sync to send them first, or add --force to sign out anyway (${then})`;
}

function report(left: LeaveResult): void {
  const gone = LIBRARY_SERVICES.filter((s) => (left.removed[s] ?? 0) > 0);
  if (gone.length > 0) {
    const counts = gone.map((s) => `${s} (${left.removed[s] ?? 0} file${left.removed[s] === 1 ? '' : 's'})`);
    out.line(`Removed from this device: ${counts.join(', ')} — they are on the server and come back when you sign in again.`);
  }
  const untouched = left.untouched.filter((s) => LIBRARY_SERVICES.includes(s));
  if (untouched.length > 0) out.line(`Left as they are: ${untouched.join(', ')} (not synced on this device).`);
  if (left.recoveredTo) {
    const n = left.recovered;
    if (n === 0) out.line(`Changes not yet sent are listed in ${join(left.recoveredTo, 'README.txt')}.`);
    else out.line(`Saved ${n} change${n === 1 ? '' : 's'} not yet sent in ${left.recoveredTo} (README.txt there says what each is).`);
  }
}

/** Ends the session on the server (when it answers) and forgets it here. */
async function endSession(home: string, session: StoredSession): Promise<void> {
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
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
