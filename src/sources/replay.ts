import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
// A yield between lines (not a wait on time: it lets the server write to its sockets), so Node's own.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RuntimeError } from '../errors.js';
import type { Clock, Timer } from '../io/clock.js';
import type { HangarEvent } from '../protocol/types.js';
import type { EventSink } from '../server/event-sink.js';
import type { SourceLog } from './event-source.js';
import { DEFAULT_MAX_LINE_BYTES, splitNdjsonLines } from './ndjson-lines.js';
import { checkLine, LINES_PER_TURN, type CountingSource } from './stream-source.js';

/**
 * Replays a recorded NDJSON stream (serve's `--replay <file>`), honouring the
 * recorded gaps between events.
 *
 * - Time comes from `occurred_at` (Unix seconds) or else `timestamp` (ISO
 *   8601; no zone means UTC). Events with neither, or out of order, follow
 *   their predecessor without a wait.
 * - Each gap is divided by `speed`; `max` never waits. A recorded gap longer
 *   than MAX_RECORDED_GAP_MS is replayed as MAX_RECORDED_GAP_MS (then divided
 *   by speed), so a recording with an hour-long hole does not stall.
 * - Replayed events keep `event_type`, `produced_by` and every other field,
 *   but drop the recorded `event_id`, `occurred_at` and `timestamp`: the hub
 *   stamps them fresh, as if they happened now. Otherwise `replay.after`,
 *   `replay.since` and clients' de-duplication by `event_id` would break,
 *   most visibly on the second pass of `--loop`.
 * - Bad lines are reported with their line number (on the first pass only,
 *   when looping) and counted; the rest flows on.
 * - With `loop`, the file restarts from the top when it ends; a file without
 *   a single valid event is not looped.
 */

/** Longest recorded gap honoured, ms of recording time (before dividing by speed). */
export const MAX_RECORDED_GAP_MS = 5_000;

export interface ReplayOptions {
  /** Speed-up factor (10 = ten times faster), or `max` for no waiting. */
  speed: number | 'max';
  /** Restart from the top when the file ends. */
  loop: boolean;
  /** The pace's clock and its waits (serve passes io.clock; tests step a fake one). */
  clock: Pick<Clock, 'monotonicMs' | 'setTimeout'>;
  maxLineBytes?: number;
  /** How the file is named in messages (the path as the user typed it); default `path`. */
  label?: string;
}

/** Fields the hub assigns afresh to a replayed event. */
const RESTAMPED_FIELDS = ['event_id', 'occurred_at', 'timestamp'] as const;

const ZONE_SUFFIX = /(Z|[+-]\d{2}:?\d{2})$/i;

/** The recorded time of an event in ms since the epoch, if it has one. */
export function recordedTimeMs(event: HangarEvent): number | undefined {
  if (typeof event.occurred_at === 'number' && Number.isFinite(event.occurred_at)) return event.occurred_at * 1000;
  if (typeof event.timestamp === 'string' && event.timestamp.length >= 10) {
    const text = event.timestamp.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, '$1T');
    const ms = Date.parse(ZONE_SUFFIX.test(text) || !text.includes('T') ? text : `${text}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/**
 * How long to wait before replaying an event recorded at `atMs` after one
 * recorded at `previousMs`: the recorded gap, capped at MAX_RECORDED_GAP_MS,
 * divided by `speed`; 0 at `max`, for a missing time, or out of order.
 */
export function replayGapMs(previousMs: number | undefined, atMs: number | undefined, speed: number | 'max'): number {
  if (speed === 'max' || previousMs === undefined || atMs === undefined || atMs <= previousMs) return 0;
  return Math.min(atMs - previousMs, MAX_RECORDED_GAP_MS) / speed;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}

function replayFileError(path: string, error: unknown): RuntimeError {
  return new RuntimeError(
    `cannot read replay file ${path} (${describeFsError(error)}); replay an NDJSON recording instead, e.g. one made with 'hangar-events tail -o ndjson > ${path}'`,
    { cause: error },
  );
}

/**
 * Fails fast with a RuntimeError when `path` cannot be replayed (missing,
 * unreadable, a directory). serve calls it at startup to exit 1 before
 * listening. `label` names the file in the message (default `path`).
 */
export async function checkReplayFile(path: string, label = path): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
  } catch (error) {
    throw replayFileError(label, error);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The replay source. `name` is `replay <path>`. */
export function createReplaySource(path: string, options: ReplayOptions): CountingSource {
  const { speed, loop } = options;
  if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) throw new RangeError(`speed must be a positive number or 'max', got ${speed}`);
  const clock = () => options.clock.monotonicMs();
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const label = options.label ?? path;
  const name = `replay ${label}`;
  let stopped = false;
  let published = 0;
  let badLines = 0;
  let onStop: (() => void) | undefined;
  let timer: Timer | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = options.clock.setTimeout(resolve, ms);
    });

  /** One pass over the file; returns the number of events published. */
  async function playOnce(sink: EventSink, log: SourceLog, pass: number): Promise<number> {
    let count = 0;
    let previousMs: number | undefined;
    // The schedule starts at the first event, so the recorded gaps are kept between events.
    let targetMs: number | undefined;
    let sinceYield = 0;
    const stream = createReadStream(path);
    try {
      for await (const line of splitNdjsonLines(stream, { maxLineBytes })) {
        if (stopped) break;
        const checked = checkLine(line, maxLineBytes);
        if (!checked) continue;
        if ('problem' in checked) {
          if (pass === 1) {
            badLines++;
            log.warn(`${label} line ${line.lineNumber}: ${checked.problem}`);
          }
          continue;
        }
        const event = checked.event;
        const atMs = recordedTimeMs(event);
        targetMs = (targetMs ?? clock()) + replayGapMs(previousMs, atMs, speed);
        if (atMs !== undefined) previousMs = atMs;
        const waitMs = targetMs - clock();
        if (waitMs >= 1) {
          sinceYield = 0;
          await sleep(waitMs);
          if (stopped) break;
        } else if (++sinceYield >= LINES_PER_TURN) {
          sinceYield = 0;
          await yieldToEventLoop();
          if (stopped) break;
        }
        for (const field of RESTAMPED_FIELDS) delete event[field];
        sink.publish(event);
        published++;
        count++;
      }
    } catch (error) {
      if (stopped) return count;
      throw replayFileError(label, error);
    } finally {
      stream.destroy();
    }
    return count;
  }

  async function play(sink: EventSink, log: SourceLog): Promise<void> {
    await checkReplayFile(path, label);
    for (let pass = 1; !stopped; pass++) {
      const count = await playOnce(sink, log, pass);
      if (!loop || stopped) return;
      if (count === 0) {
        log.warn(`${label} has no valid events; not looping`);
        return;
      }
    }
  }

  return {
    name,
    get published() {
      return published;
    },
    get badLines() {
      return badLines;
    },
    run(sink, log) {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        onStop = resolve;
        play(sink, log).then(resolve, reject);
      });
    },
    stop() {
      stopped = true;
      timer?.cancel();
      wake?.();
      onStop?.();
    },
  };
}
