// Builds the dashboard into dist/, which `nimbus serve` serves at `/`. Preact's JSX runtime, no dev-only plugins.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src',
  base: '/',
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The dev server forwards the API to a running `nimbus serve` (NIMBUS_API, default the Quickstart's address).
  server: { proxy: { '/v1': process.env['NIMBUS_API'] ?? 'http://127.0.0.1:7070' } },
});
