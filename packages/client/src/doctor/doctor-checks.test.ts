import { SERVICES, type SyncStatusJson } from '@nimbus/protocol';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { classify } from '../engine/classify.js';
import { localDiskCheck, pendingCheck } from './device-checks.js';
import { failedFor, reportOf } from './doctor-check.js';

function statusWith(pending: Partial<Record<(typeof SERVICES)[number], number>>, setAside: { id: string; reason: string }[] = []): SyncStatusJson {
  const services = Object.fromEntries(SERVICES.map((s) => [s, { enabled: true, pending: pending[s] ?? 0, lastSyncedAt: null, setAside: s === 'notes' ? setAside : [] }]));
  return {
    state: 'idle',
    failure: null,
    pending: Object.fromEntries(SERVICES.map((s) => [s, pending[s] ?? 0])),
    services,
    lastSyncedAt: null,
  } as unknown as SyncStatusJson;
}

describe('doctor checks', () => {
  it('pending: counts per service pass; an item set aside warns with its reason and where to see them all', () => {
    expect(pendingCheck(statusWith({ notes: 2 }))).toMatchObject({ status: 'pass', detail: 'Waiting to be sent: notes 2; nothing set aside.' });
    const aside = pendingCheck(statusWith({}, [{ id: 'n1', reason: 'BAD_REQUEST: too big' }]));
    expect(aside).toMatchObject({ status: 'warn', detail: expect.stringContaining('notes n1: BAD_REQUEST: too big'), fix: expect.stringContaining('nimbus status --json') });
  });

  it('local disk: the state and the library measured with statfs', async () => {
    const check = await localDiskCheck({ home: tmpdir(), library: tmpdir() });
    expect(check.id).toBe('local-disk');
    expect(check.detail).toMatch(/state and library: .* free of /);
  });

  it("a failing check carries the classifier's cause and a fix other than running doctor again", () => {
    const failure = classify({ code: 'ECONNREFUSED' }, { now: 0, probe: { mainPort: 'refused', probePort: 'ok' } });
    if (failure === 'retry-quietly') throw new Error('expected a cause');
    const check = failedFor('server-reachable', 'Server reachable', failure);
    expect(check).toMatchObject({ status: 'fail', cause: 'NETWORK_BLOCKED', fix: expect.not.stringContaining('nimbus doctor') });
    expect(reportOf([check]).ok).toBe(false);
  });
});
