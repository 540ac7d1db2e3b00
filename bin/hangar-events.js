#!/usr/bin/env node
// Tiny launcher: everything else lives in dist/ and receives its I/O injected.
import { main } from '../dist/cli/main.js';
import { systemIO } from '../dist/io/system-io.js';

process.exitCode = await main(process.argv.slice(2), systemIO());
