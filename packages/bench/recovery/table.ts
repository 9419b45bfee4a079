// The recovery figures beside their targets: one row per cause.
import type { CauseKind } from './stages.js';

/** Resume within this long of the fault's removal (network causes), of freeing space, of signing in. */
export const RESUME_TARGET_S = 2;

/**
 * "One attempt" for the agent: the lone sync's wall time plus this, for the library watcher to see the change
 * written after the fault (its debounce is 300 ms) and the 50 ms poll.
 */
export const WATCH_PICKUP_S = 0.5;

export interface CauseResult {
  readonly label: string;
  readonly cause: string;
  readonly kind: CauseKind;
  /** A lone `nimbus sync` under the fault: did `status --json` right after it name the cause, and its wall time. */
  readonly firstSync?: { readonly named: boolean; readonly exitCode: number | null; readonly shown: string | null; readonly seconds: number };
  /** From the fault (and a change written) to the cause in the agent's stored status; null: never within the wait. */
  readonly agentNamedS?: number | null;
  /** What waited when the agent named it (the change written after the fault). */
  readonly pendingWhenNamed?: Readonly<Record<string, number>> | undefined;
  /** The command that made the fault before the clock started (a password change on another device). */
  readonly faultCommandS?: number;
  /** How long the removal took, counted in resumeS (the other device's sync that sends a deletion). */
  readonly healTookS?: number;
  /** From the start of the whole removal step (`nimbus login` started; the other device's pull before its deletion). */
  readonly resumeFromHealCallS?: number | null;
  /** From the fault's removal (or `nimbus login` returning) to idle with nothing pending; null: never within the wait. */
  readonly resumeS?: number | null;
  /** Seconds the agent must name it within: a fixed figure (captive portal), else one attempt (the lone sync's time). */
  readonly nameTargetS?: number;
  /** The name target is a fixed figure, not the lone sync's time. */
  readonly fixedNameTarget?: boolean;
  readonly error?: string;
}

const s = (seconds: number | null | undefined): string => (seconds === undefined ? '—' : seconds === null ? 'never' : seconds.toFixed(2));

export function nameMet(r: CauseResult): boolean | undefined {
  if (!r.firstSync || r.agentNamedS === undefined || r.nameTargetS === undefined) return undefined;
  return r.firstSync.named && r.agentNamedS !== null && r.agentNamedS <= r.nameTargetS + (r.fixedNameTarget ? 0 : WATCH_PICKUP_S) && r.firstSync.seconds <= r.nameTargetS;
}

export function resumeMet(r: CauseResult): boolean | undefined {
  return r.resumeS === undefined ? undefined : r.resumeS !== null && r.resumeS <= RESUME_TARGET_S;
}

const yesNo = (v: boolean | undefined): string => (v === undefined ? '—' : v ? 'yes' : 'NO');

export function formatTable(results: readonly CauseResult[]): string {
  const header = ['cause', 'named by first sync? (s)', 'agent names it after (s)', 'resumes after removal (s)', 'target', 'met?'];
  const rows = results.map((r) => {
    if (r.error !== undefined) return [`${r.label} (${r.cause})`, 'error', '', '', '', r.error.split('\n')[0]?.slice(0, 60) ?? ''];
    const first = r.firstSync ? `${r.firstSync.named ? 'yes' : `NO (${r.firstSync.shown ?? `exit ${r.firstSync.exitCode}`})`} ${s(r.firstSync.seconds)}` : '—';
    const target = r.fixedNameTarget ? `named ≤ ${s(r.nameTargetS)}; resume ≤ ${RESUME_TARGET_S}` : `named in 1 attempt (≤ ${s((r.nameTargetS ?? 0) + WATCH_PICKUP_S)}); resume ≤ ${RESUME_TARGET_S}`;
    return [`${r.label} (${r.cause})`, first, s(r.agentNamedS), s(r.resumeS), target, `name ${yesNo(nameMet(r))} · resume ${yesNo(resumeMet(r))}`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
