import type { SyncFailure } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../engine/classify.js';
import type { SyncTransport } from './ports.js';
import { watchUnanswered } from './unanswered-watch.js';

/** A transport whose one call waits until the test answers it. */
function pendingTransport(): { transport: SyncTransport; answer: () => void } {
  let answer = (): void => undefined;
  const transport = {
    writeRecords: () => new Promise((resolve) => (answer = () => resolve({ results: [] }))),
  } as unknown as SyncTransport;
  return { transport, answer: () => answer() };
}

function watch(transport: SyncTransport, probe: ProbeResult, stillWaiting = () => true) {
  const causes: SyncFailure[] = [];
  let probes = 0;
  const watched = watchUnanswered(transport, {
    probe: async () => (probes++, probe),
    now: Date.now,
    stillWaiting,
    onCause: (failure) => causes.push(failure),
    afterMs: 20,
  });
  return { watched, causes, probes: () => probes };
}

const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const call = (t: SyncTransport): Promise<unknown> => t.writeRecords({ records: [] } as never);

describe('watchUnanswered', () => {
  it('names the cause the probe proves while the call still waits, and leaves the call alone', async () => {
    const { transport, answer } = pendingTransport();
    const { watched, causes } = watch(transport, { mainPort: 'timeout', probePort: 'timeout' });
    let settled = false;
    const pending = call(watched).then(() => (settled = true));
    await later(80);
    expect(causes.map((c) => c.cause)).toEqual(['NETWORK_OFFLINE']);
    expect(settled).toBe(false);
    answer();
    await pending;
    expect(settled).toBe(true);
  });

  it('a probe our server answers names nothing', async () => {
    const { transport, answer } = pendingTransport();
    const { watched, causes, probes } = watch(transport, { mainPort: 'ok', probePort: 'ok' });
    const pending = call(watched);
    await later(80);
    expect(probes()).toBe(1);
    expect(causes).toEqual([]);
    answer();
    await pending;
  });

  it('a call answered in time is never probed; one whose bytes flow is not named', async () => {
    const quick = pendingTransport();
    const first = watch(quick.transport, { mainPort: 'timeout', probePort: 'timeout' });
    const pending = call(first.watched);
    quick.answer();
    await pending;
    await later(60);
    expect(first.probes()).toBe(0);

    const flowing = pendingTransport();
    const second = watch(flowing.transport, { mainPort: 'timeout', probePort: 'timeout' }, () => false);
    const slow = call(second.watched);
    await later(80);
    expect(second.probes()).toBe(1);
    expect(second.causes).toEqual([]);
    flowing.answer();
    await slow;
  });
});
