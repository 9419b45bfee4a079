// The peers are Debian packages: present, installed here (as root, `apt-get update` once), or skipped with a hint.
import { spawnSync } from 'node:child_process';
import { log } from '../settings.js';

const PACKAGES = ['radicale', 'vdirsyncer'] as const;
let updated = false;

const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

function apt(args: string[]): boolean {
  log(`  $ apt-get ${args.join(' ')}`);
  const run = spawnSync('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) log(`  apt-get ${args[0]} failed (${run.status}): ${(run.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  return run.status === 0;
}

/** True when radicale and vdirsyncer can run; the reason they cannot otherwise. */
export function ensurePeers(): { ok: true } | { ok: false; reason: string } {
  const missing = PACKAGES.filter((name) => !hasCommand(name));
  if (missing.length === 0) return { ok: true };
  const hint = `apt-get install -y ${PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0) return { ok: false, reason: `${missing.join(' and ')} not installed (run as root: ${hint})` };
  log(`  ${missing.join(' and ')} missing: installing the Debian packages`);
  if (!updated) updated = apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...PACKAGES]);
  const still = PACKAGES.filter((name) => !hasCommand(name));
  return still.length === 0 ? { ok: true } : { ok: false, reason: `${still.join(' and ')} could not be installed (${hint})` };
}
