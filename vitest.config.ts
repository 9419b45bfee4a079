import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}.ts`, import.meta.url));

// Tests import workspace packages from source; end-to-end tests spawn the built CLI (npm test builds first).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@nimbus\/protocol$/, replacement: src('protocol') },
      { find: /^@nimbus\/server$/, replacement: src('server') },
      { find: /^@nimbus\/client$/, replacement: src('client') },
      { find: /^@nimbus\/client\/home$/, replacement: src('client', 'home') },
      { find: /^@nimbus\/cli$/, replacement: src('cli') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
