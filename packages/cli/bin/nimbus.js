#!/usr/bin/env node
// The `nimbus` command. The code is TypeScript built into dist/ by `npm install` (see the root "prepare" script).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
