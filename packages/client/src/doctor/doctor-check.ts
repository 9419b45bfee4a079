// One `nimbus doctor` check's answer, in the shape of the public contract ({id, status, detail, fix}), plus its cause.
import type { Cause, SyncFailure } from '@nimbus/protocol';

/** pass: fine · warn: works, but worth knowing · fail: this stops sync (exit 1). */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable: scripts match on it (`server-reachable`, `dns-system`, …). */
  readonly id: string;
  /** What a person reads before the detail ("Server reachable"). */
  readonly title: string;
  readonly status: CheckStatus;
  /** One line: what was seen. */
  readonly detail: string;
  /** One line: what fixes it; null when nothing needs fixing. */
  readonly fix: string | null;
  /** The classifier's cause code when the check fails (or warns) for one. */
  readonly cause?: Cause;
}

/** `nimbus doctor --json`: the checks in order; `ok` is false when any failed (the command then exits 1). */
export interface DoctorReport {
  readonly checks: DoctorCheck[];
  readonly ok: boolean;
}

export const passed = (id: string, title: string, detail: string): DoctorCheck => ({ id, title, status: 'pass', detail, fix: null });

export const warned = (id: string, title: string, detail: string, fix: string | null = null, cause?: Cause): DoctorCheck => ({
  id,
  title,
  status: 'warn',
  detail,
  fix,
  ...(cause ? { cause } : {}),
});

export const failed = (id: string, title: string, detail: string, fix: string | null, cause?: Cause): DoctorCheck => ({
  id,
  title,
  status: 'fail',
  detail,
  fix,
  ...(cause ? { cause } : {}),
});

/** A check that fails for the classifier's reason: its message, its cause, its first remedy. */
export function failedFor(id: string, title: string, failure: SyncFailure): DoctorCheck {
  // "Run nimbus doctor" is where the person already is: the next remedy is the fix.
  const fix = failure.remedies.find((r) => r.id !== 'run-doctor') ?? failure.remedies[0];
  return failed(id, title, failure.message, fix?.text ?? null, failure.cause);
}

export const reportOf = (checks: DoctorCheck[]): DoctorReport => ({ checks, ok: checks.every((c) => c.status !== 'fail') });
