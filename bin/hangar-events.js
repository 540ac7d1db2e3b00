#!/usr/bin/env node
// Tiny launcher: everything else lives in dist/ and receives its I/O injected.
// `--version` and help pages the build made are answered without loading the
// program (dist/cli/fast-path.js); everything else runs main.
import { runFastPath } from '../dist/cli/fast-path.js';

const argv = process.argv.slice(2);
const fast = runFastPath(argv, process.stdout);
if (fast !== undefined) {
  process.exitCode = fast;
} else {
  const [{ main }, { systemIO }] = await Promise.all([import('../dist/cli/main.js'), import('../dist/io/system-io.js')]);
  process.exitCode = await main(argv, systemIO());
}
