// `nimbus photos [status] | optimize on|off [--local-budget SIZE] | get NAME…|--all | release NAME…|--all`:
// Optimize Storage for the Photos folder (originals on the server, optimized stand-ins here).
import {
  formatBytes,
  pinPhotos,
  pinnedPhotos,
  readOptimizeSettings,
  releasePhotos,
  standinHashOf,
  writeOptimizeSettings,
  type LocalStore,
  type MirrorItem,
} from '@nimbus/client';
import { parseByteSize } from '@nimbus/protocol';
import type { Command } from 'commander';
import { parseOnOff, withStore } from '../device.js';
import { EXIT, UserError, out } from '../output.js';
import { syncNow } from './sync.js';

interface Flags {
  localBudget?: string;
  all?: boolean;
  json?: boolean;
}

export function registerPhotos(program: Command): void {
  const photos = program.command('photos').description('Optimize Storage: originals on the server, smaller versions here');
  photos
    .command('status', { isDefault: true })
    .description('whether Optimize Storage is on, and how many originals and optimized versions this device holds')
    .option('--json', 'machine-readable')
    .action(async (flags: Flags) => {
      await withStore((store) => {
        const summary = summarize(store);
        if (flags.json) return out.json(summary);
        out.line(describeSettings(summary.optimize, summary.localBudgetBytes));
        out.line(`${summary.originals.count} originals here (${formatBytes(summary.originals.bytes)}), ${summary.optimized.count} optimized (${formatBytes(summary.optimized.bytes)})${summary.pinned > 0 ? `, ${summary.pinned} kept as originals (nimbus photos release to let them go)` : ''}.`);
      });
    });
  photos
    .command('optimize <on|off>')
    .description('on: keep optimized versions here once originals are safely on the server; off: bring the originals back')
    .option('--local-budget <size>', 'originals to keep here anyway, newest first (e.g. 2GB; default 0)')
    .action(async (value: string, flags: Flags) => {
      const enabled = parseOnOff(value, 'photos optimize');
      let localBudgetBytes: number | undefined;
      if (flags.localBudget !== undefined) {
        localBudgetBytes = parseByteSize(flags.localBudget) ?? undefined;
        if (localBudgetBytes === undefined) throw new UserError(`--local-budget takes a size such as 2GB or 500MB, not "${flags.localBudget}"`, EXIT.usage);
      }
      await withStore((store) => {
        writeOptimizeSettings(store, { enabled, ...(localBudgetBytes === undefined ? {} : { localBudgetBytes }) });
        const settings = readOptimizeSettings(store);
        out.line(describeSettings(settings.enabled, settings.localBudgetBytes));
      });
      out.line('Applying it now…');
      await syncNow();
    });
  for (const get of [true, false]) {
    photos
      .command(`${get ? 'get' : 'release'} [names...]`)
      .description(get ? 'bring these originals back and keep them here (names in Photos/, or --all)' : 'let these originals be optimized again (or --all)')
      .option('--all', 'every photo')
      .action(async (names: string[], flags: Flags) => {
        if (!flags.all && names.length === 0) throw new UserError(`name the photos (as in the Photos folder) or use --all`, EXIT.usage);
        await withStore((store) => {
          const ids = flags.all ? undefined : pick(store, names);
          if (get) pinPhotos(store, ids ?? [...livePhotos(store).keys()]);
          else releasePhotos(store, ids);
          out.line(get ? `Bringing back ${ids ? ids.length : 'every'} original${ids?.length === 1 ? '' : 's'}…` : `Released ${ids ? ids.length : 'every'} photo${ids?.length === 1 ? '' : 's'}: the budget may optimize them at the next sync.`);
        });
        if (get) await syncNow();
      });
  }
}

function describeSettings(enabled: boolean, budget: number): string {
  if (!enabled) return 'Optimize Storage is off: this device keeps every original.';
  const kept = budget > 0 ? `up to ${formatBytes(budget)} of the newest originals stay here, ` : '';
  return `Optimize Storage is on: ${kept}other originals are replaced here by optimized versions once they are on the server.`;
}

/** Live photos of this device's mirror, by id. */
function livePhotos(store: LocalStore): Map<string, MirrorItem> {
  return new Map([...store.mirrorZone('photos')].filter(([, item]) => !item.deleted && item.path !== null));
}

/** Record ids of the named photos ("Photos/a.jpg", "a.jpg" or "trip/a.jpg"); a name that matches none is an error. */
function pick(store: LocalStore, names: readonly string[]): string[] {
  const live = [...livePhotos(store).values()];
  const ids: string[] = [];
  for (const name of names) {
    const wanted = name.replace(/^\/+/, '').replace(/^Photos\//, '');
    const matches = live.filter((item) => {
      const rel = (item.path as string).slice('Photos/'.length);
      return rel === wanted || rel.slice(rel.lastIndexOf('/') + 1) === wanted;
    });
    if (matches.length === 0) throw new UserError(`no synced photo is named "${name}" (nimbus photos status counts them; names are as in the Photos folder)`, EXIT.usage);
    ids.push(...matches.map((item) => item.id));
  }
  return ids;
}

interface PhotosSummary {
  optimize: boolean;
  localBudgetBytes: number;
  originals: { count: number; bytes: number };
  optimized: { count: number; bytes: number };
  pinned: number;
}

function summarize(store: LocalStore): PhotosSummary {
  const settings = readOptimizeSettings(store);
  const summary: PhotosSummary = { optimize: settings.enabled, localBudgetBytes: settings.localBudgetBytes, originals: { count: 0, bytes: 0 }, optimized: { count: 0, bytes: 0 }, pinned: 0 };
  const pinned = pinnedPhotos(store);
  for (const item of livePhotos(store).values()) {
    const side = standinHashOf(item.localHash) === null ? summary.originals : summary.optimized;
    side.count++;
    side.bytes += item.localSize ?? 0;
    if (pinned.has(item.id)) summary.pinned++;
  }
  return summary;
}
