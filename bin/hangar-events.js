#!/usr/bin/env node
// Tiny launcher: everything else lives in dist/ and receives its I/O injected.
// `--version` and help pages the build made are answered without loading the
// program (the fast path, src/cli/fast-path.ts); everything else runs main.
// This file is CommonJS (bin/package.json) and requires the fast path's
// CommonJS copy (dist/cli/fast-path.cjs), so those answers never start
// Node's ES module loader (on Node 20 most of such a start), and writes them
// to stdout's descriptor when it is a pipe or a file, without building
// process.stdout (a net.Socket on a pipe). The program, ES modules, is loaded
// with import().
'use strict';
const { join } = require('node:path');

const argv = process.argv.slice(2);
const fast = runFastPath(argv);
if (fast !== undefined) {
  process.exitCode = fast;
} else {
  Promise.all([import('../dist/cli/main.js'), import('../dist/io/system-io.js')])
    .then(([{ main }, { systemIO }]) => main(argv, systemIO()))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        // What a rejected top-level await did when this file was an ES module:
        // Node reports the error as uncaught and the process ends, exit code 1.
        process.exitCode = 1;
        process.nextTick(() => {
          throw error;
        });
      },
    );
}

/** The fast path's answer (an exit code), or undefined when main must run (also after a build older than its CommonJS copy). */
function runFastPath(args) {
  const copy = join(__dirname, '..', 'dist', 'cli', 'fast-path.cjs');
  let fastPath;
  try {
    fastPath = require(copy);
  } catch (error) {
    if (error !== null && typeof error === 'object' && error.code === 'MODULE_NOT_FOUND' && error.message.includes(copy)) return undefined;
    throw error;
  }
  return fastPath.runFastPath(
    args,
    fastPath.stdoutOutput(1, () => process.stdout),
    join(__dirname, '..'),
  );
}
