// `npm run bench:recovery`: for each cause of a pause, how long until it is named and how long until the agent is
// up to date once it is gone. Figures are printed (and written to bench-output/recovery.json), never asserted.
// Run through vitest (packages/bench/vitest.recovery.config.ts) because it drives the CLI's fault harness, which the
// build leaves out. BENCH_REQUEST_TIMEOUT_MS sets NIMBUS_REQUEST_TIMEOUT_MS for the devices (2000 by default, as
// the end-to-end tests): it bounds the lone sync's black-hole figure (the agent names it from a probe meanwhile).
// BENCH_CAUSES=text,… runs only the causes whose label holds one of them (e.g. BENCH_CAUSES=black-holed).
// BENCH_FAULT_HOLD_S keeps each fault this long after the agent named it (0 by default): the agent's retries back off
// while a fault lasts, and resuming waits on the next one.
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import type { SyncStatusJson } from '@nimbus/protocol';
import { writeJson } from '../src/report.js';
import { REPO_ROOT } from '../src/server-process.js';
import type { FaultDevice } from '../../cli/src/testing/faults/paused-case.js';
import type { AgentProcess } from '../../cli/src/testing/device.js';
import { recoveryCauses } from './causes.js';
import { closeStages, openStages, type RecoveryCause, type RunningAgent } from './stages.js';
import { names, POLL_MS, secondsUntil, timed, upToDate } from './measure.js';
import { formatTable, type CauseResult } from './table.js';

const REQUEST_TIMEOUT_MS = process.env['BENCH_REQUEST_TIMEOUT_MS'] ?? '2000';
const ONLY = (process.env['BENCH_CAUSES'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const HOLD_MS = Number(process.env['BENCH_FAULT_HOLD_S'] ?? '0') * 1000;
/** How long a figure may take before it is printed as "never". */
const WAIT_MS = 60_000;

const log = (text: string): void => console.log(text);
const loadavg = (): number[] => os.loadavg().map((v) => Number(v.toFixed(2)));

async function statusJson(device: FaultDevice): Promise<SyncStatusJson | undefined> {
  const run = await device.cli(['status', '--json']);
  return run.code === 0 ? (JSON.parse(run.stdout) as SyncStatusJson) : undefined;
}

/** `nimbus sync` until it exits 0 (a Retry-After may still hold for a moment). */
async function syncClean(device: FaultDevice): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const run = await device.cli(['sync']);
    if (run.code === 0) return;
    if (attempt >= 5) throw new Error(`nimbus sync after the heal exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The device's `nimbus agent`, which a cause may restart (as a user does) or put to sleep. */
function restartable(device: FaultDevice): RunningAgent & { output(): string; stop(): Promise<unknown> } {
  let current: AgentProcess = device.agent();
  let earlier = '';
  return {
    get pid() {
      return current.process.pid ?? -1;
    },
    async restart(env = {}) {
      await current.stop();
      earlier += current.output();
      current = device.agent([], env);
    },
    output: () => earlier + current.output(),
    stop: () => current.stop(),
  };
}

async function measure(c: RecoveryCause): Promise<CauseResult> {
  const prepared = await c.prepare();
  const { device } = prepared;
  try {
    await syncClean(device);

    // 1. A lone `nimbus sync` under the fault: named on its first attempt?
    await prepared.fault(1, () => undefined);
    const lone = await timed(() => device.cli(['sync']));
    const shown = (await statusJson(device))?.failure?.cause ?? null;
    const firstSync = { named: lone.result.code === 3 && shown === c.cause, exitCode: lone.result.code, shown, seconds: lone.seconds };
    await prepared.beforeHeal?.(1);
    await prepared.heal(1, () => undefined);
    await syncClean(device);

    // 2. The agent: up to date, then the fault; named when; removed, up to date again when.
    const agent = restartable(device);
    try {
      const ready = await secondsUntil(device.home, performance.now(), upToDate, WAIT_MS);
      if (ready.seconds === null) throw new Error(`the agent never got up to date before the fault: ${JSON.stringify(ready.last)}`);
      const faultCalledAt = performance.now();
      let faultAt = faultCalledAt;
      await prepared.fault(2, () => (faultAt = performance.now()), agent);
      const named = await secondsUntil(device.home, faultAt, names(c.cause), WAIT_MS);
      if (named.seconds === null) log(`  ${c.label}: the agent never named ${c.cause}; last status ${JSON.stringify(named.last?.failure ?? named.last?.state)}`);
      if (HOLD_MS > 0) await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      await prepared.beforeHeal?.(2);
      const healCalledAt = performance.now();
      let healedAt = healCalledAt;
      await prepared.heal(2, () => (healedAt = performance.now()), agent);
      const healTookS = (performance.now() - healedAt) / 1000;
      const resumed = await secondsUntil(device.home, healedAt, upToDate, WAIT_MS);
      const resumeFromHealCallS = resumed.seconds === null ? null : resumed.seconds + (healedAt - healCalledAt) / 1000;
      if (resumed.seconds === null) log(`  ${c.label}: never up to date again; last status ${JSON.stringify({ state: resumed.last?.state, failure: resumed.last?.failure?.cause, pending: resumed.last?.pending })}\n${agent.output()}`);
      const fixed = c.nameWithinS !== undefined;
      return { label: c.label, cause: c.cause, kind: c.kind, firstSync, agentNamedS: named.seconds, faultCommandS: (faultAt - faultCalledAt) / 1000, pendingWhenNamed: named.last?.pending, resumeS: resumed.seconds, healTookS, resumeFromHealCallS, nameTargetS: c.nameWithinS ?? firstSync.seconds, fixedNameTarget: fixed };
    } finally {
      await agent.stop();
    }
  } finally {
    await prepared.close();
  }
}

it('recovery bench (figures, never asserted)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nimbus-bench-recovery-'));
  const before = loadavg();
  log(`Nimbus recovery bench — ${new Date().toISOString()}`);
  log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}, node ${process.version}, loadavg ${JSON.stringify(before)} (1/5/15 min)`);
  log(`settings: NIMBUS_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS} (bounds the lone sync's black-hole figure), status polled every ${POLL_MS} ms, each fault held ${HOLD_MS / 1000} s after it was named, a figure waits at most ${WAIT_MS / 1000} s`);
  const stages = await openStages(root, { NIMBUS_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS });
  const results: CauseResult[] = [];
  try {
    for (const c of recoveryCauses(stages).filter((c) => ONLY.length === 0 || ONLY.some((s) => c.label.includes(s)))) {
      log(`\n== ${c.label} (${c.cause})`);
      try {
        const result = await measure(c);
        results.push(result);
        log(`  first sync: ${result.firstSync?.named ? 'named' : `NOT named (showed ${result.firstSync?.shown ?? 'nothing'})`} in ${result.firstSync?.seconds.toFixed(2)} s; agent named it after ${result.agentNamedS?.toFixed(2) ?? 'never'} s (${result.faultCommandS?.toFixed(2)} s for the command that made it, not counted); up to date ${result.resumeS?.toFixed(2) ?? 'never'} s after removal (removing took ${result.healTookS?.toFixed(2)} s of it; ${result.resumeFromHealCallS?.toFixed(2) ?? 'never'} s from the start of the whole removal step)`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results.push({ label: c.label, cause: c.cause, kind: c.kind, error: message });
        log(`  ! ${message.split('\n').slice(0, 25).join('\n    ')}`);
      }
    }
  } finally {
    await closeStages(stages);
    await rm(root, { recursive: true, force: true });
  }
  const after = loadavg();
  log(`\n${formatTable(results)}`);
  log(`\nloadavg before ${JSON.stringify(before)}, after ${JSON.stringify(after)}. "named" counts the change written just after the fault; "resumes" ends at idle with nothing pending.`);
  const file = join(REPO_ROOT, 'bench-output', 'recovery.json');
  await writeJson(file, { at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version, loadavgBefore: before, loadavgAfter: after }, settings: { requestTimeoutMs: Number(REQUEST_TIMEOUT_MS), pollMs: POLL_MS, faultHoldMs: HOLD_MS, causes: ONLY, waitMs: WAIT_MS }, results });
  log(`written to ${file}`);
});
