import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of the real launcher (runs the built dist/). */
export const BIN = fileURLToPath(new URL('../../bin/hangar-events.js', import.meta.url));

/**
 * The environment end-to-end tests run the binary in: no color, dumb
 * terminal, UTC, and none of this machine's HANGAR_* or FORCE_COLOR, then
 * the caller's `extra` (which may set HANGAR_API_KEY or HANGAR_URL itself).
 */
export function e2eEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TERM: 'dumb', TZ: 'UTC' };
  delete env.FORCE_COLOR;
  delete env.HANGAR_API_KEY;
  delete env.HANGAR_URL;
  delete env.HANGAR_CONTEXT;
  // Set by npm to the command that runs the tests (exec under npx vitest): the demo's hint depends on it.
  delete env.npm_command;
  // No saved context of the person running the tests may steer the binary (tests that want one set HANGAR_CONFIG).
  if (extra.HANGAR_CONFIG === undefined) env.HANGAR_CONFIG = '/nonexistent/hangar-events-tests/config.json';
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** How long a run may take, its stdin and its environment (over e2eEnv). */
export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs `node ARGS` (node's own flags, then a script and its arguments) to completion, with an upper bound, in e2eEnv, and collects its output. */
export function runNode(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: e2eEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the binary to completion (with an upper bound) and collects its output. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode([BIN, ...args], options);
}

/** A spawned long-running binary whose output can be awaited line by line. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr/stdout match of `pattern`, or rejects after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Starts the binary and keeps it running; `killAll()` in afterEach ends every child. */
export function startCli(args: string[], options: { env?: Record<string, string>; stdin?: 'pipe' | 'ignore' } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: e2eEnv(options.env), stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(stream, pattern, timeoutMs = 10_000) {
      const source = stream === 'stdout' ? child.stdout! : child.stderr!;
      const read = () => (stream === 'stdout' ? out : err);
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = read().match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs}ms waiting for ${pattern} on ${stream}; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onClose = () => {
          check();
          cleanup();
          reject(new Error(`process exited while waiting for ${pattern} on ${stream}; stdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          source.off('data', check);
          child.off('close', onClose);
        };
        source.on('data', check);
        child.on('close', onClose);
        check();
      });
    },
  };
}

/** Kills every child started by `startCli` (call in afterEach). */
export async function killAll(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}
