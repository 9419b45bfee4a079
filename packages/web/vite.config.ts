// Builds the dashboard into dist/, which `nimbus serve` serves at `/`. Preact's JSX runtime, no dev-only plugins.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  // Absolute, so the config works from any working directory (`npx vite packages/web`).
  root: fileURLToPath(new URL('./src', import.meta.url)),
  base: '/',
  build: { outDir: fileURLToPath(new URL('./dist', import.meta.url)), emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The dev server forwards the API to a running `nimbus serve` (NIMBUS_API, default the Quickstart's address).
  server: { proxy: { '/v1': process.env['NIMBUS_API'] ?? 'http://127.0.0.1:7070' } },
});
