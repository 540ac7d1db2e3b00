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
  // Loaded here, not at the top: `tail --help` needs none of the option parsing.
  const { loadTailFiles, toTailOptions } = await import('./options.js');
  const { applyContext } = await import('../apply-context.js');
  const { urls, flags } = await applyContext(urlArgs, rawFlags, io);
  const options = await loadTailFiles(await toTailOptions(urls, flags, { env: io.env, stdoutIsTTY: io.stdout.isTTY, nowMs: io.now() }), io);
  await prestartStoreReading(options, io);
  await run(options, io);
}

/**
 * A long --history from an SQLite store printed as NDJSON lines as they are
 * stored (nothing filters, records, runs or counts per event: what
 * tail/run.ts passes as plain events) is read on two threads
 * (store/sqlite-read-ahead.ts): the helper thread starts now, so that its
 * own start overlaps the rest of the tail's.
 */
async function prestartStoreReading(options: TailOptions, io: IO): Promise<void> {
  const { store, history } = options;
  if (store?.engine !== 'sqlite' || history === undefined || options.output !== 'ndjson' || io.stdout.isTTY) return;
  if (options.filter.matches !== undefined || options.record !== undefined || options.stats || options.untilEpochMs !== undefined || options.exec !== undefined || options.bell) return;
  const { DEFAULT_BUSY_TIMEOUT_MS, MIN_POSITIONS, prestartReadAhead } = await import('../../store/sqlite-read-ahead.js');
  if (history < MIN_POSITIONS) return;
  const { resolve } = await import('node:path');
  prestartReadAhead(resolve(io.cwd, store.path), DEFAULT_BUSY_TIMEOUT_MS);
}
