// `npm run bench:recovery` runs through vitest because it drives the CLI's fault harness (packages/cli/src/testing,
// left out of the build). Only the benchmark file, no time limit, its console output straight through.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const src = (pkg: string) => `${repo}packages/${pkg}/src/index.ts`;

export default defineConfig({
  root: repo,
  resolve: {
    alias: {
      '@nimbus/protocol': src('protocol'),
      '@nimbus/server': src('server'),
      '@nimbus/client': src('client'),
      '@nimbus/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/bench/recovery/recovery.bench-run.ts'],
    testTimeout: 0,
    hookTimeout: 0,
    disableConsoleIntercept: true,
    reporters: ['default'],
    pool: 'forks',
  },
});
