// `nimbus backup create [PATH] | list | restore ID DEST | delete ID | policy …`: deduplicated snapshots with retention.
import {
  RestoreRefused,
  backupCachePath,
  createBackup,
  formatBytes,
  restoreBackup,
  type BackupProgress,
  type BackupRoot,
  type RestoreProgress,
} from '@nimbus/client';
import { isNimbusError, type RetentionPolicy } from '@nimbus/protocol';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { phaseView, type PhaseView } from '../backup-progress.js';
import { backupLines, policyText, prunedLine, snapshotLines } from '../backup-text.js';
import { parseOnOff } from '../device.js';
import { EXIT, Exit, UserError, out } from '../output.js';
import { api, signedIn } from '../session.js';
import { defaultBackupRoots } from '../backup-roots.js';

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('deduplicated, incremental backups of folders, with retention');

  backup
    .command('create [path]')
    .description('back up PATH (default: the library and the settings of NIMBUS_HOME); only what changed is read and sent')
    .option('--json', 'the result as JSON (progress events go to stderr as JSON lines when it is not a terminal)')
    .action(async (path: string | undefined, flags: { json?: boolean }) => {
      const roots = path === undefined ? await defaultBackupRoots() : [await rootOf(path)];
      const { home, session, client } = await signedIn();
      const view = phaseView('Backing up');
      const result = await api(
        () =>
          createBackup({
            transport: client,
            cacheFile: backupCachePath(home),
            roots,
            host: hostname(),
            onProgress: (p) => view.update(backupUpdate(p)),
          }).catch((error: unknown) => {
            if (isNimbusError(error) && error.kind === 'QUOTA_EXCEEDED') {
              throw new UserError(`${error.message} (QUOTA_EXCEEDED) — see what uses it with nimbus storage; old backups go with nimbus backup delete ID`);
            }
            throw error;
          }),
        session,
      ).finally(() => view.stop());
      if (flags.json) return out.json(result);
      for (const line of backupLines(result)) out.line(line);
      for (const skipped of result.skipped) out.warn(`skipped ${skipped.path}: ${skipped.reason}`);
    });

  backup
    .command('list')
    .description('the backups, newest first: date, size, and what deleting each would free')
    .option('--json', 'the list as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { session, client } = await signedIn();
      const list = await api(() => client.listSnapshots(), session);
      if (flags.json) return out.json(list);
      for (const line of snapshotLines(list)) out.line(line);
    });

  backup
    .command('restore <id> <dest>')
    .description('restore backup ID into the folder DEST (byte-exact, with modes, times and symlinks)')
    .option('--overwrite', 'restore into a folder that is not empty, replacing files of the same name')
    .option('--json', 'the result as JSON')
    .action(async (id: string, dest: string, flags: { overwrite?: boolean; json?: boolean }) => {
      const { session, client } = await signedIn();
      const view = phaseView('Restoring');
      let result;
      try {
        result = await api(
          () => restoreBackup({ transport: client, snapshotId: id, dest: resolve(dest), overwrite: flags.overwrite === true, onProgress: (p) => view.update(restoreUpdate(p)) }),
          session,
        );
      } catch (error) {
        if (error instanceof RestoreRefused) throw new UserError(error.message, EXIT.usage);
        throw error;
      } finally {
        view.stop();
      }
      if (flags.json) out.json(result);
      else out.line(`Restored ${plural(result.files, 'file')} (${formatBytes(result.bytes)}), ${plural(result.dirs, 'folder')}, ${plural(result.symlinks, 'symlink')} into ${resolve(dest)}`);
      for (const failed of result.failed) out.error(`not restored: ${failed.path}: ${failed.reason}`);
      if (result.failed.length > 0) throw new Exit(EXIT.failure);
    });

  backup
    .command('delete <id>')
    .description('delete backup ID; chunks no other backup or file uses are freed')
    .option('--json', 'the result as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const { session, client } = await signedIn();
      const result = await api(() => client.deleteSnapshot(id), session);
      if (flags.json) return out.json(result);
      out.line(`Deleted backup ${id}: ${formatBytes(result.freedBytes)} freed`);
    });

  backup
    .command('policy')
    .description('which backups to keep (applied after each backup, like restic forget); no flags: show it')
    .option('--keep-last <n>', 'keep the N newest backups')
    .option('--keep-daily <n>', 'keep the newest backup of each of the last N days')
    .option('--keep-weekly <n>', 'keep the newest backup of each of the last N weeks')
    .option('--keep-monthly <n>', 'keep the newest backup of each of the last N months')
    .option('--prune-when-full <on|off>', 'above 90 % of the quota, remove the oldest backups (never the newest)')
    .option('--keep-all', 'clear the keep rules: keep every backup')
    .option('--json', 'the policy as JSON')
    .action(async (flags: PolicyFlags) => {
      const { session, client } = await signedIn();
      const current = (await api(() => client.listSnapshots(), session)).policy;
      const next = policyFrom(current, flags);
      if (next === undefined) {
        if (flags.json) return out.json({ policy: current, pruned: [] });
        return out.line(policyText(current));
      }
      const answer = await api(() => client.setBackupPolicy(next), session);
      if (flags.json) return out.json(answer);
      out.line(policyText(answer.policy));
      for (const pruned of answer.pruned) out.line(prunedLine(pruned));
    });
}

interface PolicyFlags {
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  pruneWhenFull?: string;
  keepAll?: boolean;
  json?: boolean;
}

/** The current policy changed by the flags given, or undefined when none was. */
export function policyFrom(current: RetentionPolicy, flags: PolicyFlags): RetentionPolicy | undefined {
  const count = (value: string | undefined, flag: string): number | null | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d{1,6}$/.test(value.trim())) throw new UserError(`${flag} takes a whole number, not "${value}"`, EXIT.usage);
    return Number(value);
  };
  const changes = {
    keepLast: count(flags.keepLast, '--keep-last'),
    keepDaily: count(flags.keepDaily, '--keep-daily'),
    keepWeekly: count(flags.keepWeekly, '--keep-weekly'),
    keepMonthly: count(flags.keepMonthly, '--keep-monthly'),
  };
  const pruneWhenFull = flags.pruneWhenFull === undefined ? undefined : parseOnOff(flags.pruneWhenFull, '--prune-when-full');
  if (!flags.keepAll && Object.values(changes).every((v) => v === undefined) && pruneWhenFull === undefined) return undefined;
  const base: RetentionPolicy = flags.keepAll ? { ...current, keepLast: null, keepDaily: null, keepWeekly: null, keepMonthly: null } : current;
  return {
    keepLast: changes.keepLast !== undefined ? changes.keepLast : base.keepLast,
    keepDaily: changes.keepDaily !== undefined ? changes.keepDaily : base.keepDaily,
    keepWeekly: changes.keepWeekly !== undefined ? changes.keepWeekly : base.keepWeekly,
    keepMonthly: changes.keepMonthly !== undefined ? changes.keepMonthly : base.keepMonthly,
    pruneWhenFull: pruneWhenFull ?? base.pruneWhenFull,
  };
}

/** A folder given on the command line; a clear usage error when it is not there. */
async function rootOf(path: string): Promise<BackupRoot> {
  const source = resolve(path);
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new UserError(`${path} does not exist: name a folder to back up`, EXIT.usage);
  if (!info.isDirectory()) throw new UserError(`${path} is not a folder: name a folder to back up`, EXIT.usage);
  return { name: basename(source) || 'root', source };
}

function backupUpdate(p: BackupProgress): Parameters<PhaseView['update']>[0] {
  return { phase: p.phase, done: p.filesRead, total: p.filesToRead, bytesDone: p.bytesRead, bytesTotal: p.bytesToRead };
}

function restoreUpdate(p: RestoreProgress): Parameters<PhaseView['update']>[0] {
  return { phase: 'restore', done: p.filesDone, total: p.filesTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
