// The control socket between `nimbus sync` and a running agent, over a real Unix socket and a real SyncAgent.
import { SyncAgent, systemTimers, type AgentPassOutcome } from '@nimbus/client';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlSocket } from './control-server.js';
import { controlSocketPath, readLine } from './control-socket.js';
import { syncThroughAgent } from './delegate-sync.js';

/** An engine whose passes wait until the test lets them end; counts them. */
class GatedEngine {
  passes = 0;
  #release: (() => void) | null = null;
  runPass(): Promise<AgentPassOutcome> {
    const number = ++this.passes;
    return new Promise((resolve) => {
      this.#release = () => resolve({ state: 'idle', failure: null, pushed: number, pulled: 0 });
    });
  }
  async finishPass(): Promise<void> {
    while (!this.#release) await new Promise((r) => setTimeout(r, 5));
    this.releaseIfRunning();
  }
  releaseIfRunning(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}

describe('control socket', () => {
  let home: string;
  let stop: AbortController;
  let engine: GatedEngine;
  let running: Promise<void>;

  const start = (): void => {
    engine = new GatedEngine();
    stop = new AbortController();
    const agent = new SyncAgent({
      engine,
      timers: systemTimers,
      sources: [
        controlSocket({
          home,
          report: (outcome) => Promise.resolve({ lines: [`pass pushed ${outcome?.pushed ?? 'none'}`], errors: [], exitCode: 0 }),
        }),
      ],
    });
    running = agent.run(stop.signal);
  };
  const listening = async (): Promise<void> => {
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect(controlSocketPath(home));
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const send = (text: string): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = connect(controlSocketPath(home), () => socket.write(text));
      readLine(socket, (line) => (socket.destroy(), resolve(line)));
    });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'nimbus-control-'));
  });
  afterEach(async () => {
    stop.abort();
    engine.releaseIfRunning();
    await running;
    await rm(home, { recursive: true, force: true });
  });

  it('answers a request made during a pass with the outcome of the next pass, which starts after it', async () => {
    await writeFile(controlSocketPath(home), 'left by an agent killed with -9');
    start();
    await listening();
    // Pass 1 (the start) is still running when `nimbus sync` asks.
    const answered = syncThroughAgentOutput();
    await new Promise((r) => setTimeout(r, 50));
    await engine.finishPass();
    await engine.finishPass();
    expect(await answered).toEqual({ code: 0, lines: 'pass pushed 2\n' });
    expect(engine.passes).toBe(2);
  });

  it('refuses a request it does not know, and a line that is not JSON, with the usage exit code', async () => {
    start();
    await listening();
    const unknown = JSON.parse((await send('{"op":"format-disk"}\n')) ?? 'null') as { exitCode: number; errors: string[] };
    expect(unknown.exitCode).toBe(2);
    expect(unknown.errors[0]).toMatch(/does not know/);
    const garbage = JSON.parse((await send('not json\n')) ?? 'null') as { exitCode: number };
    expect(garbage.exitCode).toBe(2);
    expect(engine.passes).toBe(1);
  });

  it('leaves nothing to answer once the agent stopped: nimbus sync runs the pass itself', async () => {
    start();
    await listening();
    stop.abort();
    await engine.finishPass();
    await running;
    expect(await syncThroughAgent({ NIMBUS_HOME: home })).toBeUndefined();
  });

  /** syncThroughAgent with its stdout captured. */
  async function syncThroughAgentOutput(): Promise<{ code: number | undefined; lines: string }> {
    let lines = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((lines += chunk), true)) as typeof process.stdout.write;
    try {
      return { code: await syncThroughAgent({ NIMBUS_HOME: home }), lines };
    } finally {
      process.stdout.write = write;
    }
  }
});
