// `nimbus status [--json]`: the status the engine last stored (state.sqlite), as the contract's JSON or at one glance.
import { formatAgo, formatBanner, nimbusHome, shownServices } from '@nimbus/client';
import { SERVICES, type SyncStatusJson } from '@nimbus/protocol';
import type { Command } from 'commander';
import { out } from '../output.js';
import { meteredSource } from './network.js';
import { loginHint, runningAgent, sessionWrittenAt, storedStatus } from '../engine-session.js';
import { loadSession } from '../session.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('state, cause, affected services, remedies, pending counts, last good sync')
    .option('--json', 'the status document of the public contract')
    .action(async (flags: { json?: boolean }) => {
      const home = nimbusHome();
      const status = await storedStatus(home);
      if (flags.json) return out.json(status);
      const now = Date.now();
      const session = await loadSession(home).catch(() => undefined);
      const agent = runningAgent(home);
      out.line(banner(status, now, { home, agent, login: await loginHint(home) }));
      for (const line of serviceLines(status, now)) out.line(line);
      const network = status.network;
      if (network && (network.metered || network.source !== 'none')) out.line(`Network: ${network.metered ? 'metered' : 'not metered'} — ${meteredSource(network)}`);
      out.line(session ? `Account: ${session.email} on ${session.server} (this device: "${session.deviceName}")` : 'Account: none (signed out)');
      out.line(agent === null ? 'Agent: not running (nimbus agent keeps this device in sync)' : `Agent: running (pid ${agent})`);
      const failure = status.failure;
      if (status.state === 'paused' && failure && failure.remedies.length > 0 && !signedInSince(status, home)) {
        out.line('What fixes it:');
        for (const remedy of failure.remedies) out.line(`  - ${remedy.text}`);
        // "Resumes by itself" holds only while an agent runs.
        if (agent === null) out.line('  - Nothing retries while the agent is stopped: start nimbus agent, or run nimbus sync again after the fix.');
      }
    });
}

/** A sign-in after the engine last looked: the stored "signed out" is stale until the next pass. */
function signedInSince(status: SyncStatusJson, home: string): boolean {
  const at = sessionWrittenAt(home);
  if (at === null) return false;
  if (status.state === 'signed_out') return true;
  return status.state === 'paused' && status.failure?.family === 'auth' && status.pausedSince !== undefined && at > status.pausedSince;
}

function banner(status: SyncStatusJson, now: number, context: { home: string; agent: number | null; login: string }): string {
  if (signedInSince(status, context.home)) {
    const waiting = SERVICES.reduce((n, s) => n + status.pending[s], 0);
    const what = waiting === 0 ? '' : ` to send the ${waiting === 1 ? 'change' : `${waiting} changes`} waiting here`;
    return context.agent === null ? `Signed in — run nimbus sync${what} (or nimbus agent to keep syncing)` : `Signed in — the agent resumes syncing${what}`;
  }
  if (status.state === 'idle' && status.lastSyncedAt === null) return 'Not synced yet — run nimbus sync (once) or nimbus agent (keeps syncing)';
  return formatBanner(status, now, { login: context.login });
}

/** One line per service: on/off, pending, last sync, and the items set aside with their reason. */
export function serviceLines(status: SyncStatusJson, now: number): string[] {
  const lines: string[] = [];
  const shown = shownServices(status);
  for (const s of SERVICES) {
    const service = status.services[s];
    if (!service.enabled) {
      const off = service.offForAccount ? `off for the account, on every device (nimbus services enable ${s} --account)` : `off (nimbus services enable ${s})`;
      lines.push(`  ${s.padEnd(10)} ${off}`);
      continue;
    }
    if (!shown.includes(s)) continue;
    const parts = [service.pending === 0 ? 'nothing pending' : `${service.pending} pending`];
    if (service.waiting === 'wifi' && service.pending > 0) parts.push('waiting for Wi-Fi');
    if (status.failure?.affects.includes(s)) parts.push(`paused (${status.failure.cause})`);
    parts.push(service.lastSyncedAt === null ? 'never synced' : `last synced ${formatAgo(service.lastSyncedAt, now)}`);
    if (!service.cellular) parts.push(service.offForAccount ? 'Wi-Fi only (for the account)' : 'Wi-Fi only');
    lines.push(`  ${s.padEnd(10)} ${parts.join(' · ')}`);
    for (const item of service.setAside) lines.push(`      set aside: ${item.id} — ${item.reason}`);
  }
  return lines;
}
