// The operating system's metered hint, kept current while the agent runs: joining a phone's hotspot makes
// the services not allowed on cellular wait, and back on Wi-Fi they run again, with no command.
import type { SystemMeteredHint } from '../store/local-store.js';
import type { TriggerSource } from './agent.js';
import { every, type Timers } from './timers.js';

/** How often the agent asks: a network change is rare, and the question costs one short nmcli run. */
export const METERED_POLL_MS = 15_000;

export interface MeteredWatchOptions {
  readonly timers: Timers;
  /** Whether the system can give a hint at all (nmcli on PATH); without one nothing is polled. */
  readonly available: () => boolean;
  readonly read: () => Promise<SystemMeteredHint | undefined>;
  /** Stores the hint; true when it changed what the device considers metered (then a pass runs). */
  readonly note: (hint: SystemMeteredHint | undefined) => boolean;
  readonly everyMs?: number;
}

export function meteredWatch(options: MeteredWatchOptions): TriggerSource {
  return (trigger) => {
    if (!options.available()) return () => undefined;
    let reading = false;
    const look = (): void => {
      if (reading) return;
      reading = true;
      void options
        .read()
        .then((hint) => {
          if (options.note(hint)) trigger('config');
        })
        .catch(() => undefined)
        .finally(() => (reading = false));
    };
    look();
    return every(options.timers, options.everyMs ?? METERED_POLL_MS, look);
  };
}
