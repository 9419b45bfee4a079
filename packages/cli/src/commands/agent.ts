// `nimbus agent`: keeps syncing until SIGINT/SIGTERM — watches the library, long-polls the server, one line per state change.
import { formatBanner, nimbusHome } from '@nimbus/client';
import type { SyncStatusJson } from '@nimbus/protocol';
import type { Command } from 'commander';
import { controlSocket } from '../agent-control/control-server.js';
import { EXIT, out } from '../output.js';
import { syncReport } from '../sync-report.js';
import { agentLock, loginHint, openDeviceEngine, startAgent } from '../engine-session.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('keep syncing: watches the library, hears other devices at once, retries by itself (Ctrl-C stops)')
    .action(async () => {
      const home = nimbusHome();
      const lock = await agentLock(home);
      const release = (): void => lock.release();
      process.once('exit', release);
      const device = await openDeviceEngine(home);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const lines = stateLines((text) => out.line(`${new Date().toISOString()} ${text}`), await loginHint(home));
      // Nothing is known before the first pass ends (settings being loaded would read as "Up to date").
      let firstPassDone = false;
      const unsubscribe = device.engine.subscribe((status) => {
        if (firstPassDone) lines.update(status);
      });
      out.line(`Nimbus agent (pid ${process.pid}) syncing ${device.library} with ${device.server}. Stop with Ctrl-C.`);
      try {
        await startAgent(device, stop.signal, {
          onPass: () => {
            if (firstPassDone) return;
            firstPassDone = true;
            lines.update(device.engine.status());
          },
          onError: (error) => out.warn(`sync pass failed: ${error instanceof Error ? error.message : String(error)} (retrying)`),
          // `nimbus sync` beside this agent asks it for a pass instead of refusing.
          extraSources: [
            controlSocket({
              home,
              report: async (outcome) =>
                outcome
                  ? syncReport(outcome, device.engine.status(), await loginHint(home))
                  : { lines: [], errors: ['the agent stopped before the pass finished: run nimbus sync again'], exitCode: EXIT.failure },
              onUnavailable: (reason) => out.warn(`nimbus sync cannot ask this agent for a pass (${reason}); it syncs by itself all the same`),
            }),
          ],
        });
      } finally {
        unsubscribe();
        lines.stop();
        device.close();
        release();
        process.off('exit', release);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      out.line('Nimbus agent stopped.');
    });
}

/** A "syncing" shorter than this is not worth a line: a retry that ends paused again the same way stays quiet. */
const SYNCING_LINE_AFTER_MS = 1500;

/** One line per state change; a pass that goes from a pause back to the same pause prints nothing. */
export function stateLines(print: (text: string) => void, login: string, now: () => number = Date.now): { update(status: SyncStatusJson): void; stop(): void } {
  let last = '';
  let pending: ReturnType<typeof setTimeout> | undefined;
  let latest: SyncStatusJson | undefined;
  const cancel = (): void => {
    if (pending !== undefined) clearTimeout(pending);
    pending = undefined;
  };
  return {
    update(status) {
      latest = status;
      if (status.state === 'syncing' && !status.stalled) {
        // Every pass passes through syncing: only worth a line when there is something to move, and it takes a while.
        if (last === 'syncing' || pending !== undefined || Object.values(status.pending).every((n) => n === 0)) return;
        pending = setTimeout(() => {
          pending = undefined;
          if (latest?.state !== 'syncing') return;
          last = 'syncing';
          print(formatBanner(latest, now(), { login }));
        }, SYNCING_LINE_AFTER_MS);
        pending.unref();
        return;
      }
      cancel();
      const key = stateKey(status);
      if (key === last) return;
      last = key;
      print(formatBanner(status, now(), { login }));
    },
    stop: cancel,
  };
}

/** What counts as a state change worth a line: the state, its cause, stalled, and (syncing) nothing finer. */
function stateKey(status: SyncStatusJson): string {
  return [status.state, status.failure?.cause ?? '', status.failure?.affects.join(',') ?? '', status.stalled ? 'stalled' : ''].join('|');
}
