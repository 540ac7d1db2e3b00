import type { IO } from '../../io/io.js';
import type { TailFlags, TailOptions } from './options.js';

/** Runs a tail; the real one is loaded lazily so `--help` stays fast. */
export type TailRunner = (options: TailOptions, io: IO) => Promise<void>;

const runTailLazily: TailRunner = async (options, io) => {
  const { runTail } = await import('./tail.js');
  await runTail(options, io);
};

/**
 * What `hangar-events tail` does with its URL words and flags, however they were read: by commander
 * (register.ts) or, for the lines it is sure of, by readTailLine (tail-line.ts) without commander.
 */
export async function tailAction(urlArgs: readonly string[], rawFlags: TailFlags & { context?: string }, io: IO, run: TailRunner = runTailLazily): Promise<void> {
  // First of all, on the flags as given: the helper thread of a long backfill boots while the rest loads.
  await prestartStoreReading(rawFlags, io);
  // Loaded here, not at the top: `tail --help` needs none of the option parsing.
  const { loadTailFiles, toTailOptions } = await import('./options.js');
  const { applyContext } = await import('../apply-context.js');
  const { urls, flags } = await applyContext(urlArgs, rawFlags, io);
  const options = await loadTailFiles(await toTailOptions(urls, flags, { env: io.env, stdoutIsTTY: io.stdout.isTTY, nowMs: io.now() }), io);
  await run(options, io);
}

/**
 * A long --history from an SQLite store printed as NDJSON lines as they are
 * stored (nothing filters, records, runs or counts per event: what
 * tail/run.ts passes as plain events) is read on two threads
 * (store/sqlite-read-ahead.ts). The helper thread starts first thing, on the
 * flags as given, so that its own start (50-100 ms) overlaps the options'
 * and the tail's loading (started after toTailOptions it came ~25 ms later:
 * bench/README.md, issue 24, round seven). The test is a guess, cheap and
 * never wrong in what is printed: a helper started for a tail that then
 * takes no lines (a bad flag, a filter from a context) is adopted by no
 * reader and ends with the process; a long backfill it misses (the store or
 * --history from a context) starts its helper at its first region.
 */
async function prestartStoreReading(flags: TailFlags, io: IO): Promise<void> {
  const history = flags.history ?? flags.tail;
  if (flags.store === undefined || history === undefined || io.stdout.isTTY) return;
  if (flags.type !== undefined || flags.excludeType !== undefined || flags.server !== undefined || flags.group !== undefined || flags.where !== undefined) return;
  if (flags.record !== undefined || flags.stats === true || flags.until !== undefined || flags.exec !== undefined || flags.bell === true || flags.calls === true) return;
  const { NDJSON_ALIASES } = await import('../../tail/sinks/create-sink.js');
  const output = flags.output?.trim();
  const ndjson = output === undefined ? flags.format === undefined && flags.fields === undefined && flags.time === undefined : output === 'ndjson' || NDJSON_ALIASES.has(output);
  if (!ndjson || !/^\d+$/.test(history.trim())) return;
  const { DEFAULT_BUSY_TIMEOUT_MS, MIN_POSITIONS, prestartReadAhead } = await import('../../store/sqlite-read-ahead.js');
  if (Number(history.trim()) < MIN_POSITIONS) return;
  const { parseStoreLocation } = await import('../../store/location.js');
  let store;
  try {
    store = parseStoreLocation(flags.store);
  } catch {
    return;
  }
  if (store.engine !== 'sqlite') return;
  const { resolve } = await import('node:path');
  prestartReadAhead(resolve(io.cwd, store.path), DEFAULT_BUSY_TIMEOUT_MS);
}
