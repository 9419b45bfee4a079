#!/usr/bin/env node
// The `nimbus` command. The code is TypeScript built into dist/ and bundled into one file by `npm install`
// (the root "prepare" script; packages/cli/scripts/bundle.js says why).
import { main, quietOnClosedPipe } from '../dist/nimbus.bundle.js';

quietOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
