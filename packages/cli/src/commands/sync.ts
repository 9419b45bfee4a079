// `nimbus sync`: one full pass. Exit 0 = up to date, 3 = paused or signed out (the banner and the fix are printed).
import { formatBanner, nimbusHome } from '@nimbus/client';
import type { Command } from 'commander';
import { EXIT, Exit, out } from '../output.js';
import { progressView } from '../progress.js';
import { loginHint, openDeviceEngine, passLock } from '../engine-session.js';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync once: exit 0 when everything is up to date, 3 when sync is paused (the banner says why and how to fix it)')
    .action(async () => {
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
        outcome = await engine.runPass(stop.signal);
        status = engine.status();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        unsubscribe();
        progress.stop();
        device.close();
        lock.release();
      }
      out.line(formatBanner(status, Date.now(), { login: await loginHint(home) }));
      if (outcome.error !== undefined) out.error(`the pass stopped early: ${outcome.error instanceof Error ? outcome.error.message : JSON.stringify(outcome.error)}`);
      if (outcome.pushed > 0 || outcome.pulled > 0) out.line(`${outcome.pushed} sent, ${outcome.pulled} received.`);
      if (outcome.state === 'paused' || outcome.state === 'signed_out') throw new Exit(EXIT.paused);
      // Work left with no cause to show (an unexpected error): not up to date, and not a pause either.
      if (outcome.state !== 'idle') throw new Exit(EXIT.failure);
    });
}
