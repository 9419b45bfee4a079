// What `nimbus sync` prints after a pass, and its exit code: the same whether this process ran the pass or asked
// the running agent for it (agent-control/).
import { formatBanner } from '@nimbus/client';
import type { SyncStatusJson } from '@nimbus/protocol';
import { EXIT } from './output.js';

export interface SyncReport {
  readonly lines: string[];
  /** Shown as `error: …` on stderr. */
  readonly errors: string[];
  readonly exitCode: number;
}

/** A pass's outcome as the report needs it (the engine's PassOutcome, or the agent's). */
export interface ReportedOutcome {
  readonly state: 'idle' | 'syncing' | 'paused' | 'signed_out';
  readonly pushed?: number;
  readonly pulled?: number;
  readonly error?: unknown;
}

export function syncReport(outcome: ReportedOutcome, status: SyncStatusJson, login: string, now = Date.now()): SyncReport {
  const lines = [formatBanner(status, now, { login })];
  const errors: string[] = [];
  if (outcome.error !== undefined) errors.push(`the pass stopped early: ${outcome.error instanceof Error ? outcome.error.message : JSON.stringify(outcome.error)}`);
  const pushed = outcome.pushed ?? 0;
  const pulled = outcome.pulled ?? 0;
  if (pushed > 0 || pulled > 0) lines.push(`${pushed} sent, ${pulled} received.`);
  // Work left with no cause to show (an unexpected error): not up to date, and not a pause either.
  const exitCode = outcome.state === 'paused' || outcome.state === 'signed_out' ? EXIT.paused : outcome.state === 'idle' ? EXIT.ok : EXIT.failure;
  return { lines, errors, exitCode };
}
