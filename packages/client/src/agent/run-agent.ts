// Wires the agent for a real engine: library watcher, server long-poll, settings/session watcher, network-change
// watch, free-space watch (while paused for a full disk), the system's metered hint, stall watchdog.
import type { SyncEngine } from '../sync/sync-engine.js';
import type { TimedFeedWait } from './feed-watch.js';
import { SyncAgent, type AgentPassOutcome, type TriggerReason, type TriggerSource } from './agent.js';
import { resetNetworkState } from '../net/reset-network.js';
import { readSystemMetered, systemMeteredAvailable } from '../net/system-metered.js';
import { diskWatch } from './disk-watch.js';
import { meteredWatch } from './metered-watch.js';
import { networkWatch } from './network-watch.js';
import { configWatcher, serverListener } from './server-listener.js';
import { every, systemTimers, type Timers } from './timers.js';
import { LibraryWatcher, type WatchPort } from './watcher.js';

export interface RunAgentOptions {
  readonly engine: Pick<SyncEngine, 'runPass' | 'tick' | 'reloadSettings' | 'status' | 'noteSystemMetered'>;
  /** One long-poll of the server's feed (see feed-watch.ts); `seconds` is how long the server may hold it. */
  readonly feedWait: TimedFeedWait;
  /** The library folder to watch. */
  readonly library: string;
  /** A cheap fingerprint of the settings and the session: a change triggers a pass (and reloads settings). */
  readonly configFingerprint: () => string;
  readonly timers?: Timers;
  /** Seconds one long-poll waits on the server (≤ 60). */
  readonly longPollSeconds?: number;
  /** A reconnect check (a poll that does not wait) gives up after this long: a black hole never answers. */
  readonly requestTimeoutMs?: number;
  /** How often the stall watchdog looks. */
  readonly watchdogMs?: number;
  /** How often the library is rescanned although no event came. */
  readonly rescanMs?: number;
  readonly idlePassMs?: number;
  readonly watch?: WatchPort;
  /** More trigger sources (the CLI's control socket, through which `nimbus sync` asks for a pass). */
  readonly extraSources?: readonly TriggerSource[];
  readonly onPass?: (outcome: AgentPassOutcome | null, reason: TriggerReason) => void;
  readonly onError?: (error: unknown) => void;
}

/** Runs the agent until `signal` aborts. */
export async function runAgent(options: RunAgentOptions, signal: AbortSignal): Promise<void> {
  const timers = options.timers ?? systemTimers;
  const { engine } = options;
  const longPoll = Math.min(60, options.longPollSeconds ?? 25);
  const library: TriggerSource = (trigger) => {
    const watcher = new LibraryWatcher({
      root: options.library,
      timers,
      onChange: () => trigger('library'),
      ...(options.rescanMs !== undefined ? { rescanMs: options.rescanMs } : {}),
      ...(options.watch ? { watch: options.watch } : {}),
    });
    watcher.start();
    return () => watcher.stop();
  };
  const server = serverListener({
    timers,
    // A black-holed link never answers: give up a little after the server's own deadline.
    wait: (stop, quick) =>
      options.feedWait(
        quick ? 0 : longPoll,
        AbortSignal.any([stop, AbortSignal.timeout(quick ? (options.requestTimeoutMs ?? 15_000) : (longPoll + 15) * 1000)]),
      ),
  });
  const config: TriggerSource = (trigger, agent) =>
    configWatcher({ read: options.configFingerprint, timers })((reason) => {
      engine.reloadSettings();
      trigger(reason);
    }, agent);
  const watchdog: TriggerSource = () => every(timers, options.watchdogMs ?? 15_000, () => engine.tick());
  const agent = new SyncAgent({
    engine,
    timers,
    sources: [
      library,
      server,
      config,
      watchdog,
      networkWatch({ timers, reset: resetNetworkState }),
      diskWatch({ timers, path: options.library, pausedForDisk: () => engine.status().failure?.cause === 'LOCAL_STORAGE_FULL' }),
      meteredWatch({ timers, available: systemMeteredAvailable, read: readSystemMetered, note: (hint) => engine.noteSystemMetered(hint) }),
      ...(options.extraSources ?? []),
    ],
    ...(options.idlePassMs !== undefined ? { idlePassMs: options.idlePassMs } : {}),
    ...(options.onPass ? { onPass: options.onPass } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  await agent.run(signal);
}
