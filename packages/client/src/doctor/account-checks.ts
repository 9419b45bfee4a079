// The doctor's account checks: the session is valid (refreshed if only the access token ran out), storage use.
import type { StorageResponse } from '@nimbus/protocol';
import type { ApiClient } from '../api-client.js';
import { classify, RETRY_QUIETLY } from '../engine/classify.js';
import { formatBytes, remediesFor } from '../engine/remedies.js';
import { failed, failedFor, passed, warned, type DoctorCheck } from './doctor-check.js';

export interface AccountInput {
  /** The signed-in client; undefined when signed out. */
  readonly client: ApiClient | undefined;
  /** The exact `nimbus login …` for this device. */
  readonly login: string;
  readonly now: () => number;
}

/** Above this share of the quota, storage warns (the contract's 90 %). */
export const STORAGE_WARN_SHARE = 0.9;

export async function runAccountChecks(input: AccountInput): Promise<DoctorCheck[]> {
  const { client } = input;
  if (!client) {
    return [
      failed('session', 'Session', 'This device is signed out.', `Sign in: ${input.login}`),
      warned('storage', 'Storage', 'Not checked: signed out.'),
    ];
  }
  const [session, storage] = await Promise.all([sessionCheck(client, input), storageCheck(client, input)]);
  return [session, storage];
}

async function sessionCheck(client: ApiClient, input: AccountInput): Promise<DoctorCheck> {
  try {
    const account = await client.account();
    return passed('session', 'Session', `Signed in as ${account.email}.`);
  } catch (error) {
    const failure = classify(error, { now: input.now() });
    if (failure !== RETRY_QUIETLY && failure.family === 'auth') {
      return { ...failedFor('session', 'Session', failure), fix: `Sign in again: ${input.login} — nothing pending is lost.` };
    }
    return warned('session', 'Session', `Not checked: ${failure === RETRY_QUIETLY ? describe(error) : failure.message}`);
  }
}

async function storageCheck(client: ApiClient, input: AccountInput): Promise<DoctorCheck> {
  let report: StorageResponse;
  try {
    report = await client.storage();
  } catch (error) {
    const failure = classify(error, { now: input.now() });
    return warned('storage', 'Storage', `Not checked: ${failure === RETRY_QUIETLY ? describe(error) : failure.message}`);
  }
  const share = report.quotaBytes > 0 ? (report.usedBytes + report.reservedBytes) / report.quotaBytes : 1;
  const largest = Object.entries(report.byService)
    .filter(([, bytes]) => bytes > 0)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([zone, bytes]) => `${zone} ${formatBytes(bytes)}`);
  const detail = `${formatBytes(report.usedBytes)} of ${formatBytes(report.quotaBytes)} used (${Math.round(share * 100)} %)${largest.length > 0 ? `; largest: ${largest.join(', ')}` : ''}.`;
  const fix = remediesFor('QUOTA_EXCEEDED')[0]?.text ?? null;
  if (report.usedBytes >= report.quotaBytes) return failed('storage', 'Storage', `Full: ${detail}`, fix, 'QUOTA_EXCEEDED');
  if (share > STORAGE_WARN_SHARE || report.warning) return warned('storage', 'Storage', `Nearly full: ${detail}`, fix);
  return passed('storage', 'Storage', detail);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
