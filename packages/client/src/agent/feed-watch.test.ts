import { NimbusError, type ChangesResponse } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import type { ChangesRequest } from '../api-client.js';
import { feedWatch } from './feed-watch.js';

const page = (token: string, n: number): ChangesResponse => ({
  changes: Array.from({ length: n }, (_, i) => ({ zone: 'notes', id: `n${i}`, version: 1, deleted: false, data: {}, blobs: [], size: 2, modifiedAt: 0 })),
  token,
  more: false,
});

describe('feedWatch', () => {
  it('starts from the engine token, then follows its own so a change is reported once', async () => {
    const asked: ChangesRequest[] = [];
    const answers: (ChangesResponse | Error)[] = [page('t2', 1), page('t2', 0), new NimbusError('CHANGE_TOKEN_EXPIRED', 'gone'), page('t9', 0)];
    const transport = {
      changes: async (request: ChangesRequest) => {
        asked.push(request);
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next ?? page('t9', 0);
      },
    };
    let engineToken = 't1';
    const wait = feedWatch({ connect: async () => transport, startToken: () => engineToken, zones: () => ['notes', 'drive'] });
    const signal = new AbortController().signal;
    expect(await wait(25, signal)).toBe(true);
    expect(await wait(25, signal)).toBe(false);
    engineToken = 't5';
    expect(await wait(25, signal)).toBe(true); // expired: start again from the engine's token
    expect(await wait(25, signal)).toBe(false);
    expect(asked.map((r) => r.since)).toEqual(['t1', 't2', 't2', 't5']);
    expect(asked[0]).toMatchObject({ zones: ['notes', 'drive'], wait: 25, limit: 50 });
  });

  it('answers "changed" for an empty page that says the storage changed (space freed, quota raised)', async () => {
    const answers = [{ ...page('t2', 0), storageChanged: true }, page('t2', 0)];
    const wait = feedWatch({ connect: async () => ({ changes: async () => answers.shift() ?? page('t2', 0) }), startToken: () => 't1', zones: () => ['drive'] });
    const signal = new AbortController().signal;
    expect(await wait(25, signal)).toBe(true);
    expect(await wait(25, signal)).toBe(false);
  });

  it('answers "changed" before the first pull, and throws while signed out', async () => {
    const none = feedWatch({ connect: async () => ({ changes: async () => page('x', 0) }), startToken: () => undefined, zones: () => [] });
    expect(await none(10, new AbortController().signal)).toBe(true);
    const out = feedWatch({ connect: async () => null, startToken: () => 't', zones: () => [] });
    await expect(out(10, new AbortController().signal)).rejects.toThrow(/signed out/);
  });
});
