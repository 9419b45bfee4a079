// `nimbus doctor [--json] [--fix]`: the troubleshooting a person would do by hand, step by step — each check says
// pass / warn / fail, what it saw and the fix. `--fix` first applies the safe fixes, then checks.
import {
  LocalStore,
  PROBE_TIMEOUT_MS,
  RETRY_QUIETLY,
  classify,
  dnsRoute,
  nimbusHome,
  readHomeDnsServers,
  requestResume,
  resetNetworkState,
  runDoctor,
  stateFilePath,
  timedFetch,
  type ApiClient,
  type DoctorCheck,
  type DoctorReport,
} from '@nimbus/client';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { nimbusLibrary } from '../device.js';
import { loginHint, runningAgent, storedStatus } from '../engine-session.js';
import { EXIT, Exit, out } from '../output.js';
import { connect, loadSession, requestTimeoutMs } from '../session.js';

/** One safe fix `--fix` applied (or could not). */
interface AppliedFix {
  readonly id: 'reset-network' | 'refresh-session' | 'resume';
  readonly done: boolean;
  readonly detail: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the connection, the account and this device step by step: pass / warn / fail, and the fix')
    .option('--json', 'machine-readable: {"checks": [{"id", "status": "pass"|"warn"|"fail", "detail", "fix", "cause"?}], "ok"}')
    .option('--fix', 'first apply the safe fixes: reset network state, refresh the session, wake the running agent')
    .addHelpText(
      'after',
      [
        '',
        'Checks, in order: server reachable (sync port, probe port) · captive portal · DNS (system resolver, your',
        'servers) · TLS · clock · session · storage · pending changes and items set aside · local disk.',
        '--fix: drops pooled connections and cached DNS answers (then re-resolves and re-probes), refreshes the',
        'session when no agent runs, and asks a running agent to sync now.',
        'Exit codes: 0 when no check fails (warnings allowed), 1 when one fails.',
      ].join('\n'),
    )
    .action(async (flags: { json?: boolean; fix?: boolean }) => {
      const home = nimbusHome();
      const session = await loadSession(home);
      const timeoutMs = Math.min(requestTimeoutMs(), 10_000);
      const client = session ? connect(session.server, session, home, timeoutMs) : undefined;
      const login = await loginHint(home);
      const fixes = flags.fix ? await applySafeFixes(home, client, login) : [];
      const dnsServers = readHomeDnsServers(home);
      const dns = dnsRoute(() => dnsServers);
      const report = await runDoctor({
        server: session?.server,
        client,
        fetch: timedFetch(timeoutMs, dns.wrap(globalThis.fetch)),
        lookup: dns.lookup,
        dnsServers,
        status: existsSync(stateFilePath(home)) ? await storedStatus(home) : undefined,
        folders: { home: existingFolder(home), library: existingFolder(nimbusLibrary().path) },
        login,
        timeoutMs: Math.min(timeoutMs, PROBE_TIMEOUT_MS),
      });
      if (flags.json) out.json(flags.fix ? { ...report, fixes } : report);
      else printReport(report, fixes);
      if (!report.ok) throw new Exit(EXIT.failure);
    });
}

/** The safe fixes, in order: reset network state, refresh the session, resume. None can lose or send anything twice. */
async function applySafeFixes(home: string, client: ApiClient | undefined, login: string): Promise<AppliedFix[]> {
  const fixes: AppliedFix[] = [];
  resetNetworkState();
  fixes.push({ id: 'reset-network', done: true, detail: 'Network state reset: pooled connections dropped, cached DNS answers forgotten; the checks below re-resolve and re-probe.' });
  const agent = runningAgent(home);
  if (!client) fixes.push({ id: 'refresh-session', done: false, detail: `Signed out: sign in with ${login}` });
  else if (agent !== null) {
    // Refreshing here would rotate the refresh token under the agent's feet; it refreshes by itself when it must.
    fixes.push({ id: 'refresh-session', done: false, detail: `Left to the running agent (pid ${agent}), which refreshes its session by itself.` });
  } else {
    try {
      await client.refresh();
      fixes.push({ id: 'refresh-session', done: true, detail: 'Session refreshed.' });
    } catch (error) {
      const failure = classify(error, { now: Date.now() });
      const why = failure === RETRY_QUIETLY ? (error instanceof Error ? error.message : String(error)) : `${failure.cause}: ${failure.message}`;
      const fix = failure !== RETRY_QUIETLY && failure.family === 'auth' ? ` — sign in again: ${login}` : '';
      fixes.push({ id: 'refresh-session', done: false, detail: `Session not refreshed (${why})${fix}` });
    }
  }
  if (agent === null) {
    fixes.push({ id: 'resume', done: false, detail: 'No agent runs on this device: nimbus sync syncs now, nimbus agent keeps syncing.' });
  } else {
    const store = new LocalStore(stateFilePath(home));
    try {
      requestResume(store, Date.now());
    } finally {
      store.close();
    }
    fixes.push({ id: 'resume', done: true, detail: `Asked the running agent (pid ${agent}) to sync now.` });
  }
  return fixes;
}

const LABEL: Readonly<Record<DoctorCheck['status'], string>> = { pass: 'pass', warn: 'WARN', fail: 'FAIL' };

function printReport(report: DoctorReport, fixes: readonly AppliedFix[]): void {
  for (const fix of fixes) out.line(`${fix.done ? 'fixed' : 'skip '}  ${fix.detail}`);
  if (fixes.length > 0) out.line();
  const width = Math.max(...report.checks.map((c) => c.title.length));
  for (const check of report.checks) {
    out.line(`${LABEL[check.status]}  ${check.title.padEnd(width)}  ${check.detail}${check.cause ? ` [${check.cause}]` : ''}`);
    if (check.fix) out.line(`${' '.repeat(width + 8)}fix: ${check.fix}`);
  }
  const failedCount = report.checks.filter((c) => c.status === 'fail').length;
  const warnCount = report.checks.filter((c) => c.status === 'warn').length;
  out.line();
  if (failedCount > 0) out.line(`${failedCount} check${failedCount === 1 ? '' : 's'} failed: apply the fixes above (nimbus doctor --fix applies the safe ones).`);
  else out.line(warnCount > 0 ? `No check failed (${warnCount} warning${warnCount === 1 ? '' : 's'}).` : 'All checks passed.');
}

/** The folder, or the nearest existing one above it (a library not made yet lives on its parent's disk). */
function existingFolder(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}
