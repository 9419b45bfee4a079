// `nimbus sync`: one full pass. Exit 0 = up to date, 3 = paused or signed out (the banner and the fix are printed).
import { nimbusHome, readSystemMetered } from '@nimbus/client';
import type { Command } from 'commander';
import { EXIT, Exit, out } from '../output.js';
import { progressView } from '../progress.js';
import { loginHint, openDeviceEngine, passLock } from '../engine-session.js';
import { syncReport } from '../sync-report.js';
import { syncThroughAgent } from '../agent-control/delegate-sync.js';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync once: exit 0 when everything is up to date, 3 when sync is paused (the banner says why and how to fix it)')
    .action(syncNow);
}

/**
 * One pass, reported as `nimbus sync` reports it (a non-zero exit is thrown as Exit): made by the running agent when
 * there is one, else here. Commands that change what a pass does (`nimbus photos get`) end with it.
 */
export async function syncNow(): Promise<void> {
  const delegated = await syncThroughAgent();
  if (delegated !== undefined) {
    if (delegated !== EXIT.ok) throw new Exit(delegated);
    return;
  }
  const home = nimbusHome();
  const lock = await passLock(home);
  const device = await openDeviceEngine(home).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const { engine } = device;
  const progress = progressView();
  const unsubscribe = engine.subscribe((status) => {
    if (status.state === 'syncing' && status.progress) progress.update(status.progress);
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcome;
  let status;
  try {
    // The system's metered hint as it is now (nothing is run where there is no nmcli).
    engine.noteSystemMetered(await readSystemMetered());
    outcome = await engine.runPass(stop.signal);
    status = engine.status();
    // The account's other devices and the dashboard see how this pass ended (skipped when the server has it already).
    await engine.reportStatus();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unsubscribe();
    progress.stop();
    device.close();
    lock.release();
  }
  const report = syncReport(outcome, status, await loginHint(home));
  for (const line of report.lines) out.line(line);
  for (const error of report.errors) out.error(error);
  if (report.exitCode !== EXIT.ok) throw new Exit(report.exitCode);
}
