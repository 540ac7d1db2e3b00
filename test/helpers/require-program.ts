import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestFunction } from 'vitest';

/**
 * Tests that drive an optional system program (a shell, a terminal, a
 * foreign WebSocket client, a database) declare it here, so `npm test` on a
 * machine with only Node skips them with the reason, and CI, which installs
 * everything (`.ci/run`), can never skip them silently:
 *
 *   const needs = requireProgram('tmux');
 *   needs.describe('tail in a real terminal (tmux)', () => { ... });
 *   requireProgram('zsh', 'fish').it('completes in zsh and fish', async () => { ... }, 30_000);
 *
 * A missing program skips the tests, the reason in their names
 * (`[skipped: needs tmux: not found on PATH; install: apt-get install tmux]`).
 * Under `CI=true` a missing program is a failing test instead.
 */

/** How to tell that a program is there and usable, and how to get it. */
export interface ProgramSpec {
  /** Command and arguments that exit 0 only when the program works as the tests need it. */
  readonly probe?: readonly [string, ...string[]];
  /** Or a check in this process (Node's own APIs, so nothing else needs to be on PATH): why it is missing, or undefined. */
  readonly check?: () => string | undefined;
  /** Other commands to try in turn with the same arguments (a system python3 that has the Debian package). */
  readonly alternatives?: readonly string[];
  /** What to install (Debian package names, as `.ci/run` installs them). */
  readonly install: string;
}

/** Every optional program the suite uses. Add one here (and to `.ci/run` and the README) before a test needs it. */
export const PROGRAMS = {
  bash: { probe: ['bash', '-c', 'exit 0'], install: 'apt-get install bash' },
  zsh: { probe: ['zsh', '-f', '-c', 'exit 0'], install: 'apt-get install zsh' },
  fish: { probe: ['fish', '--no-config', '-c', 'exit 0'], install: 'apt-get install fish' },
  tmux: { probe: ['tmux', '-V'], install: 'apt-get install tmux' },
  // util-linux script (a real pty); the BSD script of macOS takes other flags.
  script: { probe: ['script', '-qfec', 'true', '/dev/null'], install: 'apt-get install bsdutils (util-linux script)' },
  jq: { probe: ['jq', '--version'], install: 'apt-get install jq' },
  // The python3 on PATH may be a virtualenv's without the Debian package; the system one may have it.
  'python3-websockets': { probe: ['python3', '-c', 'import websockets'], alternatives: ['/usr/bin/python3'], install: 'apt-get install python3-websockets' },
  openssl: { probe: ['openssl', 'version'], install: 'apt-get install openssl' },
  // The optional SQLite driver (an optional dependency that compiles on install; it needs g++, make and python3).
  'better-sqlite3': {
    probe: ['node', '-e', "new (require('better-sqlite3'))(':memory:').close()"],
    install: 'apt-get install g++ make python3, then npm install (better-sqlite3 builds from source)',
  },
  // A named pipe for publish's stdin-like input (Node has no mkfifo of its own).
  mkfifo: { probe: ['mkfifo', '--version'], install: 'apt-get install coreutils' },
  // A PostgreSQL server the store tests start themselves (test/helpers/postgres.ts), as the postgres user when root.
  postgresql: {
    check: postgresMissing,
    install: 'apt-get install postgresql (or set HANGAR_TEST_PG_URL to a superuser URL of a running server)',
  },
} satisfies Record<string, ProgramSpec>;

export type Program = keyof typeof PROGRAMS;

/** True when the suite runs in CI (`CI=true`, or any value but empty, `0` and `false`). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

const probed = new Map<Program, { command: string } | { missing: string }>();

/** Why the PostgreSQL server binaries cannot be used here (read with Node: no shell, no ls, no id). */
function postgresMissing(): string | undefined {
  const base = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(base);
  } catch {
    return `${base} not found`;
  }
  if (!versions.some((version) => existsSync(join(base, version, 'bin', 'initdb')))) return `no ${base}/*/bin/initdb`;
  if (process.getuid?.() === 0 && !/^postgres:/m.test(readFileSync('/etc/passwd', 'utf8'))) return 'running as root and there is no postgres user to run the server as';
  return undefined;
}

function probe(program: Program): { command: string } | { missing: string } {
  let found = probed.get(program);
  if (!found) {
    const spec: ProgramSpec = PROGRAMS[program];
    if (spec.check) {
      const missing = spec.check();
      found = missing === undefined ? { command: program } : { missing };
      probed.set(program, found);
      return found;
    }
    const [first, ...args] = spec.probe!;
    const failures: string[] = [];
    for (const command of [first, ...(spec.alternatives ?? [])]) {
      const result = spawnSync(command, args, { stdio: 'ignore', timeout: 15_000 });
      const error = result.error as NodeJS.ErrnoException | undefined;
      if (!error && result.status === 0) {
        found = { command };
        break;
      }
      failures.push(
        error?.code === 'ENOENT'
          ? `${command} not found${command.includes('/') ? '' : ' on PATH'}`
          : `${[command, ...args].join(' ')} ${error ? `failed (${error.code ?? error.message})` : `exited ${result.status ?? result.signal}`}`,
      );
    }
    found ??= { missing: failures.join(', ') };
    probed.set(program, found);
  }
  return found;
}

/** Why `program` cannot be used here, or undefined when it can (probed once per test file). */
export function whyMissing(program: Program): string | undefined {
  const found = probe(program);
  return 'missing' in found ? found.missing : undefined;
}

/** The command that runs `program` here (`/usr/bin/python3` when only that one has websockets); throws when it is missing. */
export function commandFor(program: Program): string {
  const found = probe(program);
  if ('missing' in found) throw new Error(`needs ${program}: ${found.missing}`);
  return found.command;
}

/** The reason the first missing program of `programs` gives, with how to install it. */
export function missingReason(programs: readonly Program[]): string | undefined {
  for (const program of programs) {
    const why = whyMissing(program);
    if (why) return `needs ${program}: ${why}; install: ${PROGRAMS[program].install}`;
  }
  return undefined;
}

const announced = new Set<string>();

/** One stderr line per reason and test file, so the default reporter shows why tests were skipped. */
function announce(reason: string): void {
  if (announced.has(reason)) return;
  announced.add(reason);
  console.warn(`skipping tests (${reason})`);
  // Also for the summary at the end of the run (test/helpers/skip-summary.ts), across worker processes.
  const dir = process.env.HANGAR_TEST_SKIP_DIR;
  if (dir) appendFileSync(join(dir, `${process.pid}.txt`), `${reason}\n`);
}

/** `describe` and `it` for tests that need `programs`: run, skipped with the reason, or failing under CI. */
export function requireProgram(...programs: Program[]): {
  readonly available: boolean;
  readonly reason: string | undefined;
  describe(name: string, body: () => void): void;
  it(name: string, body: TestFunction, timeoutMs?: number): void;
} {
  const reason = missingReason(programs);
  const failure = () => {
    throw new Error(`${reason} (CI=true: tests that need a program are never skipped in CI; .ci/run installs it)`);
  };
  return {
    available: reason === undefined,
    reason,
    describe(name, body) {
      if (!reason) describe(name, body);
      else if (isCI()) describe(name, () => it(`has the programs it needs (${programs.join(', ')})`, failure));
      else {
        announce(reason);
        describe.skip(`${name} [skipped: ${reason}]`, body);
      }
    },
    it(name, body, timeoutMs) {
      if (!reason) it(name, body, timeoutMs);
      else if (isCI()) it(name, failure);
      else {
        announce(reason);
        it.skip(`${name} [skipped: ${reason}]`, body);
      }
    },
  };
}
