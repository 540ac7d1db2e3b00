import { spawn, type ChildProcess } from 'node:child_process';
import type { HangarEvent } from '../protocol/types.js';
import { serverIdentityOf } from '../protocol/server-identity.js';
import { stripControl } from '../protocol/sanitize.js';
import { plural } from '../format/plural.js';
import type { Clock, Timer } from '../io/clock.js';

/**
 * `--exec CMD`: runs a shell command for every matching event, for scripts
 * that react (page someone, restart a thing). The event's JSON is the
 * command's stdin and, up to 64 KiB, `HANGAR_EVENT`; its type, id, server and top-level
 * scalar fields are `HANGAR_EVENT_TYPE`, `HANGAR_EVENT_ID`,
 * `HANGAR_EVENT_SERVER` and `HANGAR_EVENT_<FIELD>` (upper case).
 *
 * It never blocks the stream: at most `concurrency` commands run at once,
 * up to `queueLimit` more wait, and events beyond that are skipped and
 * counted. Failures (non-zero exit, a signal, a command that cannot start)
 * are reported on stderr, the first few one by one and the rest counted;
 * a summary comes at the end. The commands' own output goes to stderr, so
 * stdout stays the event stream.
 */

export interface ExecActionOptions {
  readonly command: string;
  readonly concurrency: number;
  readonly queueLimit: number;
  /** The environment the commands inherit (the injected IO's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where reports and the commands' output go (stderr). */
  readonly report: (line: string) => void;
  readonly writeOutput: (chunk: Buffer) => void;
  /** How reports name the action (tail passes its flag, `--exec`). */
  readonly label?: string;
  /** How long `close` waits for running commands before it stops them. */
  readonly closeGraceMs?: number;
  /** Times the grace (tail passes io.clock). */
  readonly clock: Pick<Clock, 'setTimeout'>;
}

export interface ExecAction {
  /** Queues the command for one shown event; returns at once. */
  run(event: HangarEvent, raw: string): void;
  /** Waits for the running and queued commands (at most the grace time, then SIGTERM), then reports totals. */
  close(): Promise<void>;
}

/** Failures reported one by one before they are only counted. */
const MAX_FAILURE_REPORTS = 10;
/** Fields put in the environment, and the longest value kept. */
const MAX_FIELD_VARS = 64;
const MAX_VALUE_CHARS = 4096;

export function createExecAction(options: ExecActionOptions): ExecAction {
  const label = options.label ?? 'exec action';
  const queue: { event: HangarEvent; raw: string }[] = [];
  const running = new Set<ChildProcess>();
  let started = 0;
  let failed = 0;
  let skipped = 0;
  let closing = false;
  let idle: (() => void) | undefined;

  const describe = (event: HangarEvent) => {
    const id = typeof event.event_id === 'string' ? ` ${stripControl(event.event_id).slice(0, 40)}` : '';
    return `${stripControl(event.event_type).slice(0, 80)}${id}`;
  };

  const fail = (event: HangarEvent, why: string) => {
    failed++;
    if (failed <= MAX_FAILURE_REPORTS) {
      const more = failed === MAX_FAILURE_REPORTS ? ' (further failures are counted, not shown)' : '';
      options.report(`${label} failed for ${describe(event)}: ${why}${more}`);
    }
  };

  const startNext = () => {
    while (running.size < options.concurrency && queue.length > 0) {
      const { event, raw } = queue.shift()!;
      started++;
      let child: ChildProcess;
      try {
        child = spawn(options.command, { shell: true, env: eventEnv(options.env, event, raw), stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (error) {
        fail(event, (error as Error).message);
        continue;
      }
      running.add(child);
      child.stdout!.on('data', options.writeOutput);
      child.stderr!.on('data', options.writeOutput);
      // A command that does not read its stdin must not fail the write.
      child.stdin!.on('error', () => {});
      child.stdin!.end(`${raw.trim()}\n`);
      let reported = false;
      child.on('error', (error: NodeJS.ErrnoException) => {
        reported = true;
        fail(event, `cannot run the command (${error.code ?? error.message})`);
      });
      child.on('close', (code, signal) => {
        running.delete(child);
        if (!reported && code !== 0) fail(event, signal ? `killed by ${signal}` : `exit code ${code}`);
        startNext();
        if (running.size === 0 && queue.length === 0) idle?.();
      });
    }
  };

  return {
    run(event, raw) {
      if (closing) return;
      if (queue.length >= options.queueLimit) {
        skipped++;
        if (skipped === 1 || skipped % 100 === 0) {
          options.report(`${label} is behind (${options.concurrency} running, ${queue.length} waiting): ${plural(skipped, 'event')} skipped so far; the stream goes on`);
        }
        return;
      }
      queue.push({ event, raw });
      startNext();
    },
    async close() {
      closing = true;
      if (running.size > 0 || queue.length > 0) {
        const done = new Promise<void>((resolve) => (idle = resolve));
        let timer: Timer | undefined;
        const grace = new Promise<'late'>((resolve) => (timer = options.clock.setTimeout(() => resolve('late'), options.closeGraceMs ?? 10_000).unref()));
        const outcome = await Promise.race([done, grace]);
        timer?.cancel();
        if (outcome === 'late') {
          queue.length = 0;
          options.report(`${label}: stopping ${plural(running.size, 'command')} still running at exit`);
          for (const child of running) child.kill('SIGTERM');
          await done;
        }
      }
      if (failed > 0 || skipped > 0) {
        options.report(`${label}: ${plural(started, 'command')} run, ${failed} failed, ${plural(skipped, 'event')} skipped`);
      }
    },
  };
}

/**
 * The commands' environment: the tail's own plus HANGAR_EVENT* for this event (peer strings sanitized).
 * The documented variables (HANGAR_EVENT, _TYPE, _ID, _SERVER) always win over a field of the same
 * upper-case name. HANGAR_EVENT is left out for an event over MAX_EVENT_ENV_BYTES (Linux refuses a
 * single variable over 128 KiB with E2BIG): the command reads such an event from its stdin.
 */
export function eventEnv(base: Readonly<Record<string, string | undefined>>, event: HangarEvent, raw: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined && !key.startsWith('HANGAR_EVENT')) env[key] = value;
  let count = 0;
  for (const [key, value] of Object.entries(event)) {
    if (count >= MAX_FIELD_VARS) break;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const name = key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    if (name === '' || DOCUMENTED_NAMES.has(name)) continue;
    env[`HANGAR_EVENT_${name}`] = clean(String(value));
    count++;
  }
  const json = raw.trim().replace(/\0/g, '');
  if (Buffer.byteLength(json) <= MAX_EVENT_ENV_BYTES) env.HANGAR_EVENT = json;
  env.HANGAR_EVENT_TYPE = clean(event.event_type);
  if (typeof event.event_id === 'string') env.HANGAR_EVENT_ID = clean(event.event_id);
  const server = serverIdentityOf(event);
  if (server !== undefined) env.HANGAR_EVENT_SERVER = clean(server);
  return env;
}

/** Field names whose variable is one of the documented ones (HANGAR_EVENT_TYPE, ..._ID, ..._SERVER), which fields never override. */
const DOCUMENTED_NAMES = new Set(['EVENT_TYPE', 'EVENT_ID', 'TYPE', 'ID', 'SERVER']);
/** The largest event also given in $HANGAR_EVENT (Linux's limit for one variable is 128 KiB). */
export const MAX_EVENT_ENV_BYTES = 64 * 1024;

function clean(value: string): string {
  return stripControl(value).slice(0, MAX_VALUE_CHARS);
}
