#!/usr/bin/env node
// The `nimbus` command. The code is TypeScript built into dist/ and bundled into one file by `npm install`
// (the root "prepare" script; packages/cli/scripts/bundle.js says why).
const argv = process.argv.slice(2);

// A plain `nimbus sync` beside a running agent asks the agent for the pass (agent-control/): that path loads a few
// Node modules, not the bundle. With no agent listening, the CLI runs the pass itself.
const delegated = argv.length === 1 && argv[0] === 'sync' ? await (await import('../dist/agent-control/delegate-sync.js')).syncThroughAgent() : undefined;
if (delegated !== undefined) {
  process.exitCode = delegated;
} else {
  const { loadBundle } = await import('../dist/bundle-loader.js');
  const { bundle, saveCodeCache } = loadBundle(argv);
  bundle.quietOnClosedPipe();
  const code = await bundle.main(argv);
  process.exitCode = code;
  saveCodeCache(code);
}
