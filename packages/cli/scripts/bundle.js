// Bundles the built CLI (dist/main.js and everything it imports from our packages and npm, but the server and
// native addons) into one file, dist/nimbus.bundle.cjs, which bin/nimbus.js runs. Why: a device command's time is
// mostly Node resolving and compiling ~400 small ES modules; one file starts about twice as fast, and a no-change
// `nimbus sync` is mostly startup. `nimbus serve` still loads @nimbus/server from its own package, lazily.
// CommonJS, not ESM: dist/bundle-loader.js compiles it as a vm.Script, which takes a V8 code cache (Node 20 has no
// code cache for ES modules).
import { build } from 'rolldown';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

await build({
  input: `${dist}main.js`,
  platform: 'node',
  // The server (only `serve` needs it, imported on demand), undici (only a device with its own DNS servers loads
  // it, on demand: inlined it would double the file every command parses) and native addons (better-sqlite3, sharp) stay
  // as they are.
  external: [/^@nimbus\/server(\/|$)/, 'undici', 'better-sqlite3', 'sharp', /^node:/],
  // The external ones load with require() (the server's ES modules too: Node ≥ 20.19 requires ES modules without a
  // flag): an import() in a vm.Script goes through a loader Node 20 calls experimental, with a warning on stderr.
  output: { file: `${dist}nimbus.bundle.cjs`, format: 'cjs', codeSplitting: false, sourcemap: true, dynamicImportInCjs: false },
  logLevel: 'warn',
});
