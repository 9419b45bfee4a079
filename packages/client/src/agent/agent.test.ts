import type { SyncFailure } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { SyncAgent, type AgentPassOutcome, type TriggerReason } from './agent.js';
import { Backoff } from './backoff.js';
import { configWatcher, serverListener } from './server-listener.js';
import { ManualTimers } from './timers.js';

const flush = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const failure = (cause: SyncFailure['cause'], extra: Partial<SyncFailure> = {}): SyncFailure => ({
  code: 'SYNC_FAIL',
  cause,
  family: 'server',
  message: cause,
  affects: [],
  remedies: [],
  ...extra,
});

/** An engine whose passes answer from a script (the last answer repeats). */
function scriptedEngine(script: (AgentPassOutcome | Error)[]) {
  const passes: number[] = [];
  let i = 0;
  return {
    passes,
    async runPass(): Promise<AgentPassOutcome> {
      passes.push(i);
      const next = script[Math.min(i++, script.length - 1)];
      if (next instanceof Error) throw next;
      return next ?? { state: 'idle', failure: null };
    },
  };
}

const idle: AgentPassOutcome = { state: 'idle', failure: null };

describe('SyncAgent', () => {
  it('passes once at start, then waits for a trigger (or the idle timer) while idle', async () => {
    const timers = new ManualTimers();
    const engine = scriptedEngine([idle]);
    const reasons: TriggerReason[] = [];
    const agent = new SyncAgent({ engine, timers, idlePassMs: 60_000, onPass: (_o, r) => reasons.push(r) });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    expect(engine.passes).toHaveLength(1);
    timers.advance(30_000);
    await flush();
    expect(engine.passes).toHaveLength(1);
    agent.trigger('library');
    await flush();
    expect(engine.passes).toHaveLength(2);
    timers.advance(60_000);
    await flush();
    expect(reasons).toEqual(['start', 'library', 'timer']);
    stop.abort();
    await running;
  });

  it('when paused, backs off exponentially, retries at once on a trigger, and resets after success', async () => {
    const timers = new ManualTimers();
    const offline = { state: 'paused', failure: failure('NETWORK_OFFLINE') } as const;
    const engine = scriptedEngine([offline, offline, offline, idle]);
    const agent = new SyncAgent({ engine, timers, backoff: new Backoff({ baseMs: 1000, capMs: 60_000, random: () => 0.999 }) });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    expect(engine.passes).toHaveLength(1);
    timers.advance(998);
    await flush();
    expect(engine.passes).toHaveLength(1);
    timers.advance(1);
    await flush();
    expect(engine.passes).toHaveLength(2); // after ~1 s
    timers.advance(1500);
    await flush();
    expect(engine.passes).toHaveLength(2); // the second wait is ~2 s
    agent.trigger('reconnect');
    await flush();
    expect(engine.passes).toHaveLength(3); // a trigger cuts the wait short
    agent.trigger('library');
    await flush();
    expect(engine.passes).toHaveLength(4);
    stop.abort();
    await running;
  });

  it("does not retry before a RATE_LIMITED retryAt, whatever triggers", async () => {
    const timers = new ManualTimers();
    const limited = { state: 'paused', failure: failure('RATE_LIMITED', { retryAt: timers.now() + 30_000 }) } as const;
    const engine = scriptedEngine([limited, idle]);
    const agent = new SyncAgent({ engine, timers, backoff: new Backoff({ random: () => 0 }) });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    agent.trigger('library');
    timers.advance(29_000);
    await flush();
    expect(engine.passes).toHaveLength(1);
    timers.advance(1_000);
    await flush();
    expect(engine.passes).toHaveLength(2);
    stop.abort();
    await running;
  });

  it('a trigger during a pass makes exactly one more pass; a throwing pass backs off', async () => {
    const timers = new ManualTimers();
    let release: (() => void) | undefined;
    let calls = 0;
    const errors: unknown[] = [];
    const engine = {
      async runPass(): Promise<AgentPassOutcome> {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        if (calls === 3) throw new Error('bug');
        return idle;
      },
    };
    const agent = new SyncAgent({ engine, timers, backoff: new Backoff({ baseMs: 1000, random: () => 0.5 }), onError: (e) => errors.push(e) });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    agent.trigger('library');
    agent.trigger('server');
    release?.();
    await flush();
    expect(calls).toBe(2);
    agent.trigger('library');
    await flush();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
    timers.advance(500);
    await flush();
    expect(calls).toBe(4);
    stop.abort();
    await running;
  });
});

describe('serverListener and configWatcher', () => {
  it('triggers a pass when the feed moves, waits for it, and says reconnect after failures', async () => {
    const timers = new ManualTimers();
    const engine = scriptedEngine([idle]);
    const answers: (boolean | Error)[] = [true, false, new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), false];
    const pending: ((value: boolean | Error) => void)[] = [];
    const wait = () =>
      new Promise<boolean>((resolve, reject) => pending.push((v) => (v instanceof Error ? reject(v) : resolve(v))));
    const reasons: TriggerReason[] = [];
    const agent = new SyncAgent({
      engine,
      timers,
      sources: [serverListener({ wait, timers, backoff: new Backoff({ baseMs: 1000, random: () => 0.5 }) })],
      onPass: (_o, r) => reasons.push(r),
    });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    const answer = async () => {
      const next = answers.shift();
      pending.shift()?.(next as boolean | Error);
      await flush();
    };
    await answer(); // true → a pass
    expect(reasons).toEqual(['start', 'server']);
    await answer(); // quiet
    await answer(); // fails
    timers.advance(500);
    await flush();
    await answer(); // fails again
    timers.advance(1000);
    await flush();
    await answer(); // back
    expect(reasons).toEqual(['start', 'server', 'reconnect']);
    stop.abort();
    await running;
  });

  it('after a paused first pass, polls are quick reconnect checks; a 429 Retry-After holds them back', async () => {
    const timers = new ManualTimers();
    const paused: AgentPassOutcome = { state: 'paused', failure: failure('NETWORK_OFFLINE', { family: 'network' }) };
    const engine = scriptedEngine([paused, idle]);
    const quick: boolean[] = [];
    const pending: ((value: boolean | Error) => void)[] = [];
    const wait = (_signal: AbortSignal, isQuick: boolean) => {
      quick.push(isQuick);
      return new Promise<boolean>((resolve, reject) => pending.push((v) => (v instanceof Error ? reject(v) : resolve(v))));
    };
    const reasons: TriggerReason[] = [];
    const agent = new SyncAgent({
      engine,
      timers,
      // The agent's own retry timer is far away: only the listener can bring it back soon.
      backoff: new Backoff({ baseMs: 600_000, random: () => 0.99 }),
      sources: [serverListener({ wait, timers, backoff: new Backoff({ baseMs: 1000, capMs: 5000, random: () => 0.5 }) })],
      onPass: (_o, r) => reasons.push(r),
    });
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await flush();
    expect(quick).toEqual([true]);
    // A rate-limiting server answers the check: the next one waits for its Retry-After, past the backoff's cap.
    pending.shift()?.(Object.assign(new Error('HTTP 429'), { name: 'TransportError', status: 429, retryAfter: '30' }));
    await flush();
    timers.advance(29_000);
    await flush();
    expect(quick).toEqual([true]);
    timers.advance(1_000);
    await flush();
    expect(quick).toEqual([true, true]);
    pending.shift()?.(false); // the server answers: back, at once
    await flush();
    expect(reasons).toEqual(['start', 'reconnect']);
    await flush();
    expect(quick.at(-1)).toBe(false); // up to date: long-polls again
    stop.abort();
    await running;
  });

  it('configWatcher triggers when the fingerprint changes', async () => {
    const timers = new ManualTimers();
    let value = 'a';
    const reasons: TriggerReason[] = [];
    const stop = configWatcher({ read: () => value, timers, everyMs: 1000 })((r) => reasons.push(r), {} as SyncAgent);
    timers.advance(3000);
    value = 'b';
    timers.advance(1000);
    timers.advance(5000);
    expect(reasons).toEqual(['config']);
    stop();
    expect(timers.pending).toBe(0);
  });
});
