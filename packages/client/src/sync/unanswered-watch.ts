// A pass's requests watched while they wait: one unanswered for a couple of seconds gets the connectivity probe at
// once, so a black hole is named in seconds instead of after the request's whole deadline (30 s by default).
import type { SyncFailure } from '@nimbus/protocol';
import { classifyUnanswered, RETRY_QUIETLY, type ProbeResult } from '../engine/classify.js';
import type { SyncTransport } from './ports.js';

/**
 * A request of a pass still unanswered after this long starts the probe (whose own deadline is 3 s): the cause is
 * named about 5 s after the request went out. A healthy request answers well within it, a slow upload costs one probe.
 */
export const UNANSWERED_PROBE_AFTER_MS = 2_000;

export interface UnansweredWatchOptions {
  readonly probe: () => Promise<ProbeResult | undefined>;
  readonly now: () => number;
  /**
   * Whether a request started at `startedAt` still counts as unanswered for the pass (it is open, and no bytes
   * moved since: a slow upload is not a dead link).
   */
  readonly stillWaiting: (startedAt: number) => boolean;
  /** The cause the probe proved while a request was still waiting; the request keeps its deadline. */
  readonly onCause: (failure: SyncFailure) => void;
  readonly afterMs?: number;
}

/** Times calls: each one unanswered after `afterMs` runs the probe (one at a time); the call itself is never cut short. */
export interface UnansweredWatch {
  /** `fn()`, timed while its promise is pending. */
  call<T>(fn: () => T): T;
  /** `transport` with every method timed (each is a request). */
  transport(transport: SyncTransport): SyncTransport;
}

/**
 * A cause the probe proves is reported while the call still waits; a slow server whose probe answers gets the
 * call's full deadline.
 */
export function unansweredWatch(options: UnansweredWatchOptions): UnansweredWatch {
  const afterMs = options.afterMs ?? UNANSWERED_PROBE_AFTER_MS;
  let probing = false;
  const suspect = async (startedAt: number, answered: () => boolean): Promise<void> => {
    if (probing) return;
    probing = true;
    try {
      const probe = await options.probe().catch(() => undefined);
      if (!probe || answered() || !options.stillWaiting(startedAt)) return;
      const judged = classifyUnanswered(probe, { now: options.now() });
      if (judged !== RETRY_QUIETLY) options.onCause(judged);
    } finally {
      probing = false;
    }
  };
  const call = <T>(fn: () => T): T => {
    const startedAt = options.now();
    let answered = false;
    const timer = setTimeout(() => void suspect(startedAt, () => answered), afterMs);
    const settle = (): void => {
      answered = true;
      clearTimeout(timer);
    };
    try {
      const result = fn();
      if (result instanceof Promise) void result.then(settle, settle);
      else settle();
      return result;
    } catch (error) {
      settle();
      throw error;
    }
  };
  return {
    call,
    // Every method of the transport is a request (SyncTransport is a set of ApiClient calls).
    transport: (transport) =>
      new Proxy(transport, {
        get(target, key, receiver) {
          const value: unknown = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]): unknown => call(() => Reflect.apply(value as (...a: unknown[]) => unknown, target, args));
        },
      }),
  };
}

/** `transport` with every call timed (see unansweredWatch). */
export function watchUnanswered(transport: SyncTransport, options: UnansweredWatchOptions): SyncTransport {
  return unansweredWatch(options).transport(transport);
}
