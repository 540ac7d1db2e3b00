import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as sourceFastPath from '../../src/cli/fast-path.js';
import { HELP_PAGE_WIDTH, type HelpPagesFile } from '../../src/cli/fast-path.js';
import { helpCommandPaths, renderHelpPages, runCaptured } from '../../src/cli/help-pages.js';
import { main } from '../../src/cli/main.js';
import { requireProgram } from '../helpers/require-program.js';
import { BIN, e2eEnv, runNode } from '../helpers/spawn.js';
import { createTestIO } from '../helpers/test-io.js';

/**
 * The launcher answers `--version` and help from pages the build made
 * (src/cli/fast-path.ts, bench scenario 7). Those answers must be commander's
 * own, byte for byte, for every command and every form of asking, and
 * anything the pages do not cover must still reach commander.
 */

const BUILT_PAGES = new URL('../../dist/cli/help-pages.json', import.meta.url);
const REPORT_COMMANDER = fileURLToPath(new URL('../fixtures/report-commander.cjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The fast path's CommonJS copy that the launcher requires (scripts/build-fast-path-cjs.mjs). */
const builtFastPath = createRequire(import.meta.url)('../../dist/cli/fast-path.cjs') as typeof sourceFastPath;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  commander: 'loaded' | 'not loaded' | 'unknown';
}

/** The built binary with stdout and stderr piped; says whether it loaded commander. */
async function runBin(args: readonly string[]): Promise<Run> {
  const run = await runNode(['--require', REPORT_COMMANDER, BIN, ...args], { timeoutMs: 30_000 });
  const marker = /\[commander (loaded|not loaded)\]\n$/.exec(run.stderr);
  return { code: run.code, stdout: run.stdout, stderr: marker ? run.stderr.slice(0, marker.index) : run.stderr, commander: marker ? (marker[1] as Run['commander']) : 'unknown' };
}

/** Runs `work` over `items`, `limit` at a time (the machine is shared). */
async function inTurns<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

/** Every way of asking for a page that the fast path answers. */
function helpForms(path: string): string[][] {
  const words = path === '' ? [] : path.split(' ');
  const forms = [
    [...words, '--help'],
    [...words, '-h'],
  ];
  if (words.length <= 1) forms.push(['help', ...words]);
  return forms;
}

describe('help and --version without commander', () => {
  it('the built pages are the program help of this source, page for page', async () => {
    const built = JSON.parse(readFileSync(BUILT_PAGES, 'utf8')) as HelpPagesFile;
    const fresh = await renderHelpPages(createTestIO());
    expect(built).toEqual(fresh);
    expect(built.width).toBe(HELP_PAGE_WIDTH);
    const paths = await helpCommandPaths(createTestIO());
    expect(paths).toEqual(expect.arrayContaining(['', 'tail', 'serve', 'completion', 'context add', 'approvals show']));
    expect(Object.keys(built.pages)).toEqual(paths);
  });

  it('prints every page, asked in every form, as commander does, and exits 0 without loading it', async () => {
    const forms = (await helpCommandPaths(createTestIO())).flatMap(helpForms);
    expect(forms.length).toBeGreaterThanOrEqual(45);
    const runs = await inTurns(forms, 4, async (argv) => ({ argv, fast: await runBin(argv), full: await runCaptured(argv, createTestIO()) }));
    for (const { argv, fast, full } of runs) {
      expect({ argv, code: full.code, stderr: full.stderr }).toEqual({ argv, code: 0, stderr: '' });
      expect(full.stdout).toMatch(/^Usage: hangar-events /);
      expect({ argv, code: fast.code, stdout: fast.stdout, stderr: fast.stderr, commander: fast.commander }).toEqual({ argv, code: 0, stdout: full.stdout, stderr: '', commander: 'not loaded' });
    }
  }, 300_000);

  it('prints --version and -V from package.json without loading commander, as commander does', async () => {
    for (const flag of ['--version', '-V']) {
      const [fast, full] = await Promise.all([runBin([flag]), runCaptured([flag], createTestIO())]);
      expect(full).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
      expect(fast).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '', commander: 'not loaded' });
    }
  }, 60_000);

  it('leaves every other line to commander: an option before --help, an unknown command, help for a subcommand path', async () => {
    const lines = [['tail', '--type', 'X', '--help'], ['nosuch', '--help'], ['help', 'nosuch'], ['help', 'context', 'add'], ['context', 'add', 'x', '--help'], ['--version', 'tail'], ['tail', '--help', '-n', '1']];
    const runs = await inTurns(lines, 4, async (argv) => ({ argv, fast: await runBin(argv), full: await runCaptured(argv, createTestIO()) }));
    for (const { argv, fast, full } of runs) {
      expect({ argv, code: fast.code, stdout: fast.stdout, stderr: fast.stderr, commander: fast.commander }).toEqual({ argv, code: full.code, stdout: full.stdout, stderr: full.stderr, commander: 'loaded' });
    }
  }, 120_000);
});

describe('the fast path on its own', () => {
  const work = mkdtempSync(join(tmpdir(), 'hangar-help-pages-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('its CommonJS copy for the launcher has what the source exports (both are run below)', () => {
    expect(Object.keys(builtFastPath).filter((name) => name !== '__esModule').sort()).toEqual(Object.keys(sourceFastPath).sort());
    expect(readFileSync(join(ROOT, 'dist/cli/fast-path.cjs'), 'utf8')).toMatch(/^\/\/ Made by scripts\/build-fast-path-cjs\.mjs from src\/cli\/fast-path\.ts/);
  });

  describe.each([
    ['the source (the program and the build import it)', sourceFastPath],
    ['its CommonJS copy, dist/cli/fast-path.cjs (the launcher requires it)', builtFastPath],
  ])('%s', (_, { HELP_PAGE_WIDTH, descriptorOutput, helpPagesFile, helpRequestPath, packageVersion, runFastPath, stdoutOutput }) => {
    const captured = (isTTY: boolean, columns?: number) => {
      const out = { isTTY, columns, text: '', errorListeners: 0, write: (text: string) => (out.text += text), on: () => void out.errorListeners++ };
      return out;
    };

    it('finds package.json and the built pages from the package root it is given', () => {
      expect(packageVersion(ROOT)).toBe(VERSION);
      expect(helpPagesFile(ROOT)).toBe(fileURLToPath(BUILT_PAGES));
      const pipe = captured(false);
      expect(runFastPath(['-V'], pipe, ROOT)).toBe(0);
      expect(pipe.text).toBe(`${VERSION}\n`);
    });

    it('recognises only the forms commander answers with a page alone', () => {
      expect(helpRequestPath(['--help'])).toBe('');
      expect(helpRequestPath(['-h'])).toBe('');
      expect(helpRequestPath(['help'])).toBe('');
      expect(helpRequestPath(['help', 'tail'])).toBe('tail');
      expect(helpRequestPath(['tail', '-h'])).toBe('tail');
      expect(helpRequestPath(['context', 'add', '--help'])).toBe('context add');
      expect(helpRequestPath(['tail', '--type', 'X', '--help'])).toBeUndefined();
      expect(helpRequestPath(['help', 'context', 'add'])).toBeUndefined();
      expect(helpRequestPath(['tail'])).toBeUndefined();
      expect(helpRequestPath([])).toBeUndefined();
    });

    it('answers from the pages file, at its width or off a terminal, and declines otherwise', () => {
      const file = join(work, 'pages.json');
      writeFileSync(file, JSON.stringify({ width: HELP_PAGE_WIDTH, pages: { '': 'program\n', tail: 'tail page\n' } }));
      const pipe = captured(false);
      expect(runFastPath(['tail', '--help'], pipe, ROOT, file)).toBe(0);
      expect(pipe.text).toBe('tail page\n');
      expect(pipe.errorListeners).toBe(1);
      const terminal80 = captured(true, HELP_PAGE_WIDTH);
      expect(runFastPath(['help'], terminal80, ROOT, file)).toBe(0);
      expect(terminal80.text).toBe('program\n');
      for (const [argv, out] of [
        [['tail', '--help'], captured(true, 120)], // commander wraps to this terminal
        [['tail', '--help'], captured(true, 0)], // a pty whose size was never set
        [['serve', '--help'], captured(false)], // no page
        [['toString', '--help'], captured(false)], // not an own key
        [['tail', '-n', '1'], captured(false)], // not a help request
      ] as const) {
        expect(runFastPath(argv, out, ROOT, file)).toBeUndefined();
        expect(out.text).toBe('');
      }
    });

    /** A stream that keeps what is written: the fallback of a descriptor output. */
    const stream = () => {
      const out = { made: 0, bytes: [] as Buffer[], errorListeners: 0, write: (chunk: string | Uint8Array) => out.bytes.push(Buffer.from(chunk)), on: () => void out.errorListeners++ };
      return out;
    };

    it('writes to stdout\'s descriptor when it is a file or a pipe, and leaves anything else to the stream', () => {
      const text = 'Usage: hangar-events tail — ünïcödé ✓\n'.repeat(200);
      const file = join(work, `stdout-${Math.random()}.txt`);
      const fd = openSync(file, 'w');
      const fallback = stream();
      const toFile = stdoutOutput(fd, () => {
        fallback.made++;
        return fallback;
      });
      expect(toFile.isTTY).toBe(false);
      expect(runFastPath(['--version'], toFile, ROOT)).toBe(0);
      toFile.write(text);
      closeSync(fd);
      expect(readFileSync(file, 'utf8')).toBe(`${VERSION}\n${text}`);
      expect(fallback.made).toBe(0);
      // A character device (a terminal, /dev/null) and a descriptor that is not open get the stream.
      const devNull = openSync('/dev/null', 'w');
      const other = stream();
      expect(stdoutOutput(devNull, () => other)).toBe(other);
      closeSync(devNull);
      expect(stdoutOutput(devNull, () => other)).toBe(other);
    });

    it('hands what a full non-blocking pipe would not take to the stream, and ends quietly on a closed pipe', () => {
      const fifo = join(work, `fifo-${Math.random()}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      const text = Array.from({ length: 20_000 }, (_, i) => `line ${i} ✓\n`).join(''); // ~250 KB: more than a pipe holds
      const fallback = stream();
      const out = descriptorOutput(writer, () => fallback);
      expect(out.write(text)).toBe(true);
      const received: Buffer[] = [];
      const chunk = Buffer.alloc(65_536);
      for (;;) {
        let n = 0;
        try {
          n = readSync(reader, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw error;
        }
        if (n === 0) break;
        received.push(Buffer.from(chunk.subarray(0, n)));
      }
      expect(received.length).toBeGreaterThan(0);
      expect(fallback.bytes.length).toBe(1);
      expect(fallback.errorListeners).toBe(1);
      expect(Buffer.concat([...received, ...fallback.bytes]).toString('utf8')).toBe(text);
      // The reader gone (`--help | head -1`): EPIPE ends the writing, nothing thrown, nothing handed on.
      closeSync(reader);
      const closed = stream();
      expect(descriptorOutput(writer, () => closed).write('more\n')).toBe(false);
      expect(closed.bytes).toEqual([]);
      closeSync(writer);
    });

    it('declines when the pages file is missing, unreadable or made at another width', () => {
      const other = join(work, 'other-width.json');
      writeFileSync(other, JSON.stringify({ width: 100, pages: { tail: 'tail page\n' } }));
      const broken = join(work, 'broken.json');
      writeFileSync(broken, '{"width": 80, "pages": {"tail": ');
      const nulls = join(work, 'null.json');
      writeFileSync(nulls, 'null');
      for (const file of [join(work, 'missing.json'), other, broken, nulls]) {
        const out = captured(false);
        expect(runFastPath(['tail', '--help'], out, ROOT, file)).toBeUndefined();
        expect(out.text).toBe('');
      }
      // A package root without pages (a build that did not finish) leaves help to the program too.
      const out = captured(false);
      expect(runFastPath(['tail', '--help'], out, work)).toBeUndefined();
      expect(out.text).toBe('');
    });
  });
});

const needsScript = requireProgram('script');
needsScript.describe('help in a real terminal (script)', () => {
  /** `hangar-events ARGS` in a pty of `columns` columns; what the terminal showed, CRLF made LF. */
  const inTerminal = (columns: number, args: readonly string[]) =>
    new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
      const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
      const command = `stty cols ${columns} rows 40; exec ${[process.execPath, '--require', REPORT_COMMANDER, BIN, ...args].map(quote).join(' ')}`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], { env: e2eEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let screen = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
      child.stderr.resume();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, screen: screen.replace(/\r\n/g, '\n') });
      });
    });

  it(`prints the page on a terminal of ${HELP_PAGE_WIDTH} columns, and lets commander wrap to any other width`, async () => {
    const page = (await runCaptured(['tail', '--help'], createTestIO())).stdout;
    const at80 = await inTerminal(HELP_PAGE_WIDTH, ['tail', '--help']);
    expect(at80).toEqual({ code: 0, screen: `${page}[commander not loaded]\n` });
    const terminal = createTestIO({ stdoutTTY: true, columns: 120 });
    expect(await main(['tail', '--help'], terminal)).toBe(0);
    const wide = terminal.stdout.text();
    expect(wide).not.toBe(page);
    const at120 = await inTerminal(120, ['tail', '--help']);
    expect(at120).toEqual({ code: 0, screen: `${wide}[commander loaded]\n` });
  }, 60_000);
});
