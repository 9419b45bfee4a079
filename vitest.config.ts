import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import workspace packages from source; end-to-end tests spawn the built CLI (npm test builds first).
export default defineConfig({
  resolve: {
    alias: {
      '@nimbus/protocol': src('protocol'),
      '@nimbus/server': src('server'),
      '@nimbus/client': src('client'),
      '@nimbus/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
