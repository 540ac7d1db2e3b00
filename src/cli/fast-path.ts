import { fstatSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `--version` and help without commander (bench scenario 7). Loading
 * commander and the command's declaration is most of a start beyond node's
 * own, so the launcher asks this module first: it imports nothing but
 * `node:fs` and `node:path`, answers `--version` from package.json and a
 * help request from the pages the build wrote with the real program
 * (`help-pages.ts`, `npm run build`), and otherwise says "not mine" and main
 * runs as before. The pages' test (test/e2e/help-fast-path.test.ts) checks
 * every page, in every form accepted here, byte for byte against commander's
 * own output.
 *
 * The launcher is CommonJS (bin/package.json): on Node 20, starting the ES
 * module loader costs a `--version` more than the rest of its work. So the
 * build also writes this module as CommonJS, `dist/cli/fast-path.cjs`
 * (scripts/build-fast-path-cjs.mjs), which the launcher requires. That copy
 * can require nothing but Node's builtins, and has no `import.meta`: every
 * caller says where the package is (its root: package.json and dist/).
 */

/** The width the pages are wrapped at: commander's when stdout is not a terminal. */
export const HELP_PAGE_WIDTH = 80;

/** Where the build writes the pages, in the package whose root is `packageRoot`. */
export function helpPagesFile(packageRoot: string): string {
  return join(packageRoot, 'dist', 'cli', 'help-pages.json');
}

/** The file `npm run build` writes: each command path ('' for the program, 'context add') and its help text. */
export interface HelpPagesFile {
  readonly width: number;
  readonly pages: Readonly<Record<string, string>>;
}

/** What the fast path needs of stdout: the real one or its descriptor (`stdoutOutput`), given by the launcher. */
export interface FastPathOutput {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string | Uint8Array): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * stdout for the fast path: its descriptor `fd` itself when it is a pipe, a
 * file or a socket (never a terminal), else `stream()` (process.stdout).
 * Building process.stdout on a pipe makes a net.Socket, which on Node 20
 * costs more than the rest of a fast answer (~8 ms: bench/README.md, round
 * seven); the bytes written are the same.
 */
export function stdoutOutput(fd: number, stream: () => FastPathOutput): FastPathOutput {
  try {
    const stat = fstatSync(fd);
    if (stat.isFIFO() || stat.isFile() || stat.isSocket()) return descriptorOutput(fd, stream);
  } catch {
    // A descriptor fstat cannot tell about: the stream, as the program would.
  }
  return stream();
}

/**
 * Writes to descriptor `fd` with writeSync. A descriptor that would block (a
 * full pipe that another process made non-blocking: EAGAIN) hands the rest to
 * `stream()`, which waits for it; any other error (EPIPE: `--help | head -1`)
 * ends the writing quietly, as a closed pipe does for the program.
 */
export function descriptorOutput(fd: number, stream: () => FastPathOutput): FastPathOutput {
  return {
    isTTY: false,
    write(chunk: string | Uint8Array) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(fd, bytes, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
        const rest = stream();
        rest.on('error', () => {});
        rest.write(bytes.subarray(written));
      }
      return true;
    },
    on: () => undefined,
  };
}

/** The version in the package.json of the package whose root is `packageRoot`. */
export function packageVersion(packageRoot: string): string {
  const raw = readFileSync(join(packageRoot, 'package.json'), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/**
 * The command path whose help `argv` asks for, in the forms commander
 * answers with that page alone: `--help`/`-h` after zero to two command
 * names, and `help` followed by at most one. Anything else (an option before
 * the help flag, a third word) is left to commander. The path is only a
 * candidate: a page must exist for it.
 */
export function helpRequestPath(argv: readonly string[]): string | undefined {
  const last = argv[argv.length - 1];
  if ((last === '--help' || last === '-h') && argv.length <= 3) return argv.slice(0, -1).join(' ');
  if (argv[0] === 'help' && argv.length <= 2) return argv.slice(1).join(' ');
  return undefined;
}

/**
 * Answers `--version` and help requests that a built page covers, for the
 * package whose root is `packageRoot`; returns the exit code, or undefined
 * when main must run. A terminal whose width is not the pages' gets
 * commander (which wraps to the terminal), and so does any request when the
 * pages file is missing or unreadable.
 */
export function runFastPath(argv: readonly string[], stdout: FastPathOutput, packageRoot: string, pagesFile: string = helpPagesFile(packageRoot)): number | undefined {
  let text: string | undefined;
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) text = `${packageVersion(packageRoot)}\n`;
  else {
    const path = helpRequestPath(argv);
    if (path === undefined) return undefined;
    if (stdout.isTTY === true && stdout.columns !== HELP_PAGE_WIDTH) return undefined;
    text = helpPage(pagesFile, path);
  }
  if (text === undefined) return undefined;
  // A closed pipe (`--help | head -1`) is a normal end, as in systemIO().
  stdout.on('error', () => {});
  stdout.write(text);
  return 0;
}

function helpPage(pagesFile: string, path: string): string | undefined {
  let file: HelpPagesFile;
  try {
    file = JSON.parse(readFileSync(pagesFile, 'utf8')) as HelpPagesFile;
  } catch {
    return undefined;
  }
  if (file?.width !== HELP_PAGE_WIDTH || typeof file.pages !== 'object' || file.pages === null || !Object.hasOwn(file.pages, path)) return undefined;
  const page = file.pages[path];
  return typeof page === 'string' ? page : undefined;
}
