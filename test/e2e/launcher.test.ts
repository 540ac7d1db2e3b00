import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runNode, type CliResult } from '../helpers/spawn.js';

/**
 * The launcher, bin/hangar-events.js, is CommonJS (bin/package.json) so that
 * `--version` and the help pages never start Node's ES module loader (on
 * Node 20 most of such a start: bench scenario 7, bench/README.md round
 * seven); everything else imports the program (ES modules) and runs main.
 * The answers themselves are checked byte for byte in help-fast-path.test.ts.
 */

const REPORT_MODULE_LOADING = fileURLToPath(new URL('../fixtures/report-module-loading.cjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hangar-launcher-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `node SCRIPT ARGS` with the module-loading probe; its report taken off stderr. */
async function loading(script: string, args: readonly string[] = []): Promise<CliResult & { commonjs: string[]; esmLoader: boolean; net: boolean }> {
  const run = await runNode(['--require', REPORT_MODULE_LOADING, script, ...args]);
  const marker = /\[module loading (\{.*\})\]\n$/.exec(run.stderr);
  if (marker === null) throw new Error(`no module-loading report from node ${script} ${args.join(' ')} (exit ${run.code}):\n${run.stderr}`);
  const report = JSON.parse(marker[1]!) as { commonjs: string[]; esmLoader: boolean; net: boolean };
  return { ...run, stderr: run.stderr.slice(0, marker.index), ...report };
}

describe('the launcher answers --version and help as CommonJS', () => {
  it('requires only itself and the fast path, and starts no more of the ES module loader, nor builds a stream on the pipe, than an empty CommonJS file', async () => {
    const empty = join(work, 'empty.cjs');
    writeFileSync(empty, "'use strict';\n");
    const baseline = await loading(empty);
    expect(baseline).toMatchObject({ code: 0, commonjs: [empty], net: false });
    for (const args of [['--version'], ['tail', '--help'], ['help', 'serve']]) {
      const run = await loading(BIN, args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).not.toBe('');
      // stdout is a pipe: the answer is written to its descriptor, without process.stdout (a net.Socket there).
      expect({ args, commonjs: run.commonjs, esmLoader: run.esmLoader, net: run.net }).toEqual({ args, commonjs: [BIN, join(ROOT, 'dist/cli/fast-path.cjs')], esmLoader: baseline.esmLoader, net: false });
    }
  }, 60_000);

  it('imports the program (ES modules) for everything else', async () => {
    const run = await loading(BIN, ['tail', '--no-color', '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '', esmLoader: true, net: true });
    expect(run.stdout).toMatch(/^Usage: hangar-events tail /);
    expect(run.commonjs).toContain(join(ROOT, 'dist/cli/fast-path.cjs'));
    // commander is required by the program (src/commands/commander.ts).
    expect(run.commonjs.some((file) => /[\\/]node_modules[\\/]commander[\\/]/.test(file))).toBe(true);
  }, 30_000);
});

describe('the launcher with a stand-in program', () => {
  /**
   * A copy of the package's launcher (bin/) next to a dist/ whose main does
   * what the test needs: the real program cannot be made to reject from
   * outside. `fastPath`: whether dist/cli/fast-path.cjs is there (a build
   * older than it has only the ES module).
   */
  function standIn(name: string, mainSource: string, fastPath: boolean): string {
    const root = join(work, name);
    for (const dir of ['bin', 'dist/cli', 'dist/io']) mkdirSync(join(root, dir), { recursive: true });
    for (const file of readdirSync(dirname(BIN))) copyFileSync(join(dirname(BIN), file), join(root, 'bin', file));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'stand-in', version: '9.9.9', type: 'module' }));
    writeFileSync(join(root, 'dist/cli/main.js'), mainSource);
    writeFileSync(join(root, 'dist/io/system-io.js'), "export function systemIO() { return { stand: 'in' }; }\n");
    if (fastPath) copyFileSync(join(ROOT, 'dist/cli/fast-path.cjs'), join(root, 'dist/cli/fast-path.cjs'));
    return join(root, 'bin', 'hangar-events.js');
  }

  const ECHO_MAIN = `export async function main(argv, io) {
  process.stdout.write(JSON.stringify({ argv, io }) + '\\n');
  return Number(argv.find((word) => /^[0-9]+$/.test(word)) ?? 0);
}
`;

  it('runs main with the arguments and the system IO, and exits with the code main returns', async () => {
    const bin = standIn('echo', ECHO_MAIN, true);
    expect(await runNode([bin, 'tail', '5', '--x'])).toEqual({ code: 5, signal: null, stdout: `${JSON.stringify({ argv: ['tail', '5', '--x'], io: { stand: 'in' } })}\n`, stderr: '' });
    expect(await runNode([bin, 'tail', '0'])).toMatchObject({ code: 0, stderr: '' });
    // The fast path is the launcher's: main is not asked for the version.
    expect(await runNode([bin, '--version'])).toEqual({ code: 0, signal: null, stdout: '9.9.9\n', stderr: '' });
  }, 30_000);

  it('without dist/cli/fast-path.cjs (an older build), leaves --version and help to main instead of failing', async () => {
    const bin = standIn('old-build', ECHO_MAIN, false);
    for (const args of [['--version'], ['tail', '--help']]) {
      expect(await runNode([bin, ...args])).toEqual({ code: 0, signal: null, stdout: `${JSON.stringify({ argv: args, io: { stand: 'in' } })}\n`, stderr: '' });
    }
  }, 30_000);

  it('a main that rejects, or a program that cannot load, ends the process with the error on stderr and exit code 1', async () => {
    const rejects = standIn('rejects', "export async function main() { throw new Error('the stand-in main failed'); }\n", true);
    const rejected = await runNode([rejects, 'tail']);
    expect(rejected).toMatchObject({ code: 1, stdout: '' });
    expect(rejected.stderr).toMatch(/^Error: the stand-in main failed\n\s+at main \(/m);
    // What is still open does not keep the process alive (as when a top-level await rejected).
    const leavesOpen = standIn('leaves-open', "export async function main() { setInterval(() => {}, 1000); throw new Error('failed with a timer running'); }\n", true);
    const open = await runNode([leavesOpen, 'tail']);
    expect(open).toMatchObject({ code: 1, stdout: '' });
    expect(open.stderr).toContain('Error: failed with a timer running');
    const broken = standIn('broken', 'export async function main( {\n', true);
    const unloadable = await runNode([broken, 'tail']);
    expect(unloadable).toMatchObject({ code: 1, stdout: '' });
    expect(unloadable.stderr).toContain('SyntaxError');
  }, 30_000);
});
