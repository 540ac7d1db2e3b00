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
  await run(options, io);
}
