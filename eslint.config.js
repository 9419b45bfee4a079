// One lint config for every package: type-aware rules for source, the layer order enforced by import bans.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Tests may reach across layers (an engine test runs a real in-process server); source may not.
const layer = (files, banned, why) => ({
  files,
  ignores: ['**/*.test.ts', '**/testing/**'],
  rules: {
    'no-restricted-imports': ['error', { patterns: banned.map((group) => ({ group: [group], message: why })) }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench-output/**', 'test-output/**', 'nimbus-data/**'] },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.suite.ts', '**/testing/**'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.test.ts', '**/*.suite.ts', '**/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-console': 'off' },
  },
  // The dashboard runs in the browser; it reaches the server through HTTP only (types from protocol are fine).
  {
    files: ['packages/web/src/**/*.{ts,tsx}', 'packages/web/vite.config.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { globals: globals.browser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // Types only: protocol's values would bring zod into the page's bundle.
            { group: ['@nimbus/*'], allowTypeImports: true, message: 'the dashboard talks to the server over HTTP only (import type from protocol)' },
          ],
        },
      ],
    },
  },
  // The CLI's output module and the benchmarks are the only places that print.
  { files: ['packages/cli/src/output.ts', 'packages/bench/src/**/*.ts'], rules: { 'no-console': 'off' } },
  // Layer order: protocol ← client / server ← cli. A lower layer never imports a higher one.
  layer(['packages/protocol/src/**/*.ts'], ['@nimbus/*'], 'protocol is the bottom layer: no imports of other Nimbus packages'),
  layer(['packages/client/src/**/*.ts'], ['@nimbus/server', '@nimbus/cli'], 'the client talks to the server over HTTP only'),
  layer(['packages/server/src/**/*.ts'], ['@nimbus/client', '@nimbus/cli'], 'the server never imports its clients'),
);
