import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { e2eEnv, startCli } from './spawn.js';
import { pollFor } from './eventually.js';

/**
 * One program in a real terminal: a detached tmux session (its own server,
 * `-L`, so tests never meet each other or the user's tmux), read back with
 * `capture-pane`. Every wait polls the pane (bounded); nothing sleeps a fixed time.
 */

const run = promisify(execFile);

export interface TmuxPane {
  /** Runs a tmux command against this pane's server. */
  cmd(...args: string[]): Promise<string>;
  /**
   * Starts `argv` in a detached session named `table` of the given size, from a shell that
   * afterwards prints the exit code and whether the terminal is back in canonical mode, then
   * stays; with `exec`, the program is the pane's process itself (its pid is #{pane_pid}).
   */
  start(argv: string[], columns?: number, rows?: number, options?: { exec?: boolean }): Promise<void>;
  capture(): Promise<string>;
  info(format: string): Promise<string>;
  /** Polls the pane until `predicate` holds; fails with the last screen after `timeoutMs`. */
  waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Kills the tmux server and removes its folder (for afterEach; safe when nothing started). */
  dispose(): Promise<void>;
}

export function createTmuxPane(prefix: string): TmuxPane {
  let session: { socket: string; dir: string } | undefined;
  const env = (): NodeJS.ProcessEnv => {
    const copy = e2eEnv();
    delete copy.TMUX;
    delete copy.TERM;
    return copy;
  };
  const cmd = async (...args: string[]): Promise<string> => {
    if (!session) throw new Error('no tmux');
    const { stdout } = await run('tmux', ['-L', session.socket, '-f', join(session.dir, 'tmux.conf'), ...args], { env: env() });
    return stdout;
  };
  const capture = () => cmd('capture-pane', '-p', '-t', 'table');
  return {
    cmd,
    capture,
    async start(argv, columns = 120, rows = 30, options = {}) {
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
      session = { socket: `${prefix}-${process.pid}-${Date.now()}`, dir };
      writeFileSync(join(dir, 'tmux.conf'), 'set -g status off\n');
      const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const script = options.exec
        ? `exec env NO_COLOR=1 TZ=UTC ${quoted}`
        : `env NO_COLOR=1 TZ=UTC ${quoted}; echo "exit=$?"; stty -a | grep -o -- '-*icanon'; exec sleep 600`;
      await cmd('new-session', '-d', '-s', 'table', '-x', String(columns), '-y', String(rows), script);
    },
    async info(format) {
      return (await cmd('display-message', '-p', '-t', 'table', format)).trim();
    },
    waitFor(predicate, what, timeoutMs = 15_000) {
      return pollFor(capture, predicate, { what, timeoutMs, everyMs: 100, show: (screen) => screen });
    },
    async dispose() {
      if (!session) return;
      await run('tmux', ['-L', session.socket, 'kill-server'], { env: env() }).catch(() => {});
      rmSync(session.dir, { recursive: true, force: true });
      session = undefined;
    },
  };
}

/** `serve --seed 1` on a free port with extra flags; resolves its URL once it listens. */
export async function startSeededServe(extra: string[] = []): Promise<{ url: string; serve: ReturnType<typeof startCli> }> {
  const serve = startCli(['serve', '--port', '0', '--seed', '1', ...extra]);
  const match = await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/, 15_000);
  return { url: match[1]!, serve };
}

/** A server's row of the table on a screen (the line that starts with its name). */
export function rowOf(screen: string, server: string): string | undefined {
  return screen.split('\n').find((line) => line.startsWith(`${server} `));
}
