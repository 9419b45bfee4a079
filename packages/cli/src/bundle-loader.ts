// Loads the CLI bundle (dist/nimbus.bundle.cjs) with a V8 code cache kept in NIMBUS_HOME/code-cache/. Not part of
// the bundle: bin/nimbus.js imports it first. Why: compiling the 1.2 MB bundle, and each function the command runs
// as it first runs, is a fixed ~40 ms of every command (`nimbus --help` 165 → 130 ms with a cache, `nimbus sync`
// about the same saving); V8 reads the cache instead of compiling.
import { nimbusHome } from '@nimbus/client/home';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

/** What the bundle exports (src/main.ts). */
export interface CliBundle {
  main(argv: string[]): Promise<number>;
  quietOnClosedPipe(): void;
}

export const BUNDLE_FILE = fileURLToPath(new URL('./nimbus.bundle.cjs', import.meta.url));

/** Module.wrap exists at run time (CommonJS's wrapper) but is not in @types/node. */
const wrap = (source: string): string => (Module as unknown as { wrap(this: void, source: string): string }).wrap(source);

export interface LoadedBundle {
  bundle: CliBundle;
  /**
   * Stores the code V8 compiled so far, when there was no usable cache and the command succeeded (a mistyped command
   * leaves no cache behind): call it once the command has run, so the functions it used are in. Never throws (a cache
   * is an optimisation: a home that cannot take it goes without).
   */
  saveCodeCache(exitCode: number): void;
}

/**
 * The cache lives in the user's own NIMBUS_HOME, never a shared folder: V8 runs cached code as it finds it, so a file
 * someone else could write would be code they run as this user. Its name carries the bundle's size and mtime and V8's
 * version (V8 itself checks only the source's length and its own flags), and the command, since each command
 * compiles its own set of functions. Nothing is written when NIMBUS_HOME does not exist (`nimbus --help` on a new
 * machine leaves no trace).
 */
export function loadBundle(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadedBundle {
  // Before compiling: V8 refuses a cache made under other flags, so they must be the same when it is made and read.
  if (argv[0] !== 'serve') keepHeapSmall();
  const source = readFileSync(BUNDLE_FILE, 'utf8');
  const cacheFile = codeCacheFile(argv, env);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile && ownedByUs(dirname(cacheFile)) && ownedByUs(cacheFile)) cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(source), {
    filename: BUNDLE_FILE,
    ...(cachedData ? { cachedData } : {}),
    // The bundle requires its externals (scripts/bundle.js); an import() left in a library still works this way.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as CliBundle };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(BUNDLE_FILE), module, BUNDLE_FILE, dirname(BUNDLE_FILE));
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    bundle: module.exports,
    saveCodeCache: (exitCode) => {
      if (!cacheFile || !stale || exitCode !== 0) return;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
        // Whole or not at all: another command may be reading it now.
        const partial = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
        dropOlderCaches(cacheFile);
      } catch {
        // No room, a read-only home: the next command compiles, as without a cache.
      }
    },
  };
}

/**
 * A device process collects garbage sooner than V8 would. A big pull allocates fast while each feed page stays alive
 * for a while (parsed, applied, then placed while the next is applied), so V8 let the heap grow to ~250 MB around
 * ~40 MB of live objects (a fresh device's pull of 100,000 records peaked at 350–420 MB of RSS). A growing factor
 * of 1.5 instead of up to 4 kept it under 300 MB at about the same speed. The server (`nimbus serve`) keeps V8's own.
 */
function keepHeapSmall(): void {
  v8.setFlagsFromString('--heap-growing-percent=50');
}

/** Ours alone: owned by this user, writable by no one else (a NIMBUS_HOME in a shared folder must not feed us code). */
function ownedByUs(path: string): boolean {
  const stat = statSync(path);
  return (process.getuid === undefined || stat.uid === process.getuid()) && (stat.mode & 0o022) === 0;
}

/** The same command's caches of other bundles or Node versions (an upgrade's leftovers). */
function dropOlderCaches(cacheFile: string): void {
  const folder = dirname(cacheFile);
  const name = basename(cacheFile);
  const command = name.slice(0, name.indexOf('-') + 1);
  for (const other of readdirSync(folder)) {
    if (other !== name && other.startsWith(command)) rmSync(join(folder, other), { force: true });
  }
}

/** NIMBUS_HOME/code-cache/<command>-<bundle size>-<bundle mtime>-<V8 version>.bin, or undefined without a home. */
function codeCacheFile(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const home = nimbusHome(env);
  try {
    if (!statSync(home).isDirectory()) return undefined;
    const bundle = statSync(BUNDLE_FILE);
    const command = /^[a-z]+$/.test(argv[0] ?? '') ? argv[0]! : 'other';
    return join(home, 'code-cache', `${command}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}-${process.versions.v8}.bin`);
  } catch {
    return undefined;
  }
}
