// Summarises V8 .cpuprofile files: where a device process spent its time, by function (self time) and by package/file.
// `node packages/bench/dist/sync/profile-summary.js FILE_OR_DIR [TOP]`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native / V8)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return `npm:${modules[1]}`;
  const packages = /packages\/([^/]+)\/dist\/(.+)$/.exec(url);
  if (packages) return `${packages[1]}/${packages[2]}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

function summarise(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const total = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = where(url);
    byFunction.set(`${functionName || '(anonymous)'} ${place}:${lineNumber + 1}`, (byFunction.get(`${functionName || '(anonymous)'} ${place}:${lineNumber + 1}`) ?? 0) + ms);
    byFile.set(place, (byFile.get(place) ?? 0) + ms);
  }
  const show = (title: string, map: Map<string, number>): void => {
    process.stdout.write(`  ${title}\n`);
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`    ${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${name}\n`);
    }
  };
  process.stdout.write(`${file}: ${total.toFixed(0)} ms profiled\n`);
  show('self time by file / package', byFile);
  show('self time by function', byFunction);
}

const target = process.argv[2];
if (!target) throw new Error('usage: profile-summary FILE_OR_DIR [TOP]');
const top = Number(process.argv[3] ?? 15);
const files = statSync(target).isDirectory() ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f)) : [target];
for (const file of files) summarise(file, top);
