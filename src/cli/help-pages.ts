import type { IO, OutputStream } from '../io/io.js';
import type { Command } from '../commands/commander.js';
import { HELP_PAGE_WIDTH, type HelpPagesFile } from './fast-path.js';
import { main } from './main.js';
import { createProgram } from './program.js';

/**
 * The help pages of the fast path (fast-path.ts), made at build time by the
 * real program: for every command path, what `hangar-events <path> --help`
 * writes to a stdout that is not a terminal (commander wraps it at 80
 * columns). `npm run build` writes them to dist/cli/help-pages.json
 * (scripts/build-help-pages.mjs).
 */

/** Every command path of the full program, '' (the program itself) first, in help order. */
export async function helpCommandPaths(io: IO): Promise<string[]> {
  const paths: string[] = [];
  const walk = (command: Command, path: readonly string[]) => {
    paths.push(path.join(' '));
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(await createProgram(io), []);
  return paths;
}

/** Runs main on `argv` with stdout and stderr captured, neither a terminal. */
export async function runCaptured(argv: readonly string[], io: IO): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const code = await main(argv, { ...io, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every page, as main prints it; throws when a page cannot be made (the build then fails). */
export async function renderHelpPages(io: IO): Promise<HelpPagesFile> {
  const pages: Record<string, string> = {};
  for (const path of await helpCommandPaths(io)) {
    const argv = [...path.split(' ').filter((word) => word !== ''), '--help'];
    const result = await runCaptured(argv, io);
    if (result.code !== 0 || result.stderr !== '' || result.stdout === '') {
      throw new Error(`hangar-events ${argv.join(' ')} exited with ${result.code} (stderr: ${JSON.stringify(result.stderr)}): no help page made`);
    }
    pages[path] = result.stdout;
  }
  return { width: HELP_PAGE_WIDTH, pages };
}

/** A stdout that is not a terminal and keeps what is written. */
class CapturedOutput implements OutputStream {
  text = '';
  readonly isTTY = false;
  readonly columns = undefined;
  readonly rows = undefined;
  readonly writableLength = 0;
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
  on(): this {
    return this;
  }
  off(): this {
    return this;
  }
  once(): this {
    return this;
  }
}
