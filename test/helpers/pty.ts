import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, e2eEnv } from './spawn.js';

/**
 * Runs the real binary in a real pseudo-terminal through util-linux
 * `script -qfec CMD /dev/null`. With stdin not a terminal, script cannot copy
 * a size onto the pty, so the program sees a terminal of 0 columns and 0 rows
 * (as on serial consoles and `docker exec -t` before the size arrives).
 * Declare `requireProgram('script')` in tests that use it.
 */
export interface PtyRun {
  readonly child: ChildProcess;
  /** Everything the program wrote to the terminal (stdout and stderr mixed, as on a screen). */
  output(): string;
  /** Bytes written to the terminal so far. */
  bytes(): number;
  /** Resolves with the first match of `pattern` in the output; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The program's pid (the shell inside script execs it), to send it signals. */
  pid(): Promise<number>;
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
/** Pids of the programs inside the ptys: a program stuck in a loop ignores the SIGHUP of a closed pty. */
const programs = new Set<number>();

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Starts `hangar-events <args>` in a pty of size 0x0; `env` is added to the e2e environment. */
export function startInPty(args: readonly string[], env: Record<string, string> = {}): PtyRun {
  const command = `echo "pid=$$"; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  // A terminal type that moves the cursor (e2eEnv's TERM=dumb would turn the live drawing off).
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: e2eEnv({ TERM: 'xterm-256color', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let bytes = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    // Keep the head and a bounded tail: a hot redraw loop writes megabytes.
    out = out.length < 1_000_000 ? out + chunk.toString('utf8') : out;
  });
  child.stderr!.resume();
  let seen = false;
  child.stdout!.on('data', () => {
    const match = seen ? null : /pid=(\d+)/.exec(out);
    if (match) {
      seen = true;
      programs.add(Number(match[1]));
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = out.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${pattern}; ${bytes} bytes written; output starts:\n${out.slice(0, 2000)}`));
      }, timeoutMs);
      const onClose = () => {
        check();
        cleanup();
        reject(new Error(`exited while waiting for ${pattern}; output:\n${out.slice(0, 4000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.off('close', onClose);
      };
      child.stdout!.on('data', check);
      child.on('close', onClose);
      check();
    });
  return {
    child,
    output: () => out,
    bytes: () => bytes,
    waitFor,
    pid: async () => Number((await waitFor(/pid=(\d+)/))[1]),
    exited,
  };
}

/** Kills every script started here and the program inside it (call in afterEach). */
export async function killPtys(): Promise<void> {
  for (const pid of programs) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  programs.clear();
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Every line drawn in `output`, one per line of text: a redraw in place
 * (cursor up, carriage return) starts a new line; other escape sequences are removed.
 */
export function visibleText(output: string): string {
  return output
    .replace(/\x1b\[\d*[AH]|\r(?!\n)/g, '\n')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\x1b[()][A-Z0-9]/g, '')
    .replace(/\r/g, '');
}
