import type { IO } from '../../io/io.js';
import { runTailSession, type TailDeps } from '../../tail/run.js';
import { rejectUnresolvedBareWords, type HostLookup } from './bare-words.js';
import type { TailOptions } from './options.js';

/**
 * `hangar-events tail`: runs one tail session with the options the flags
 * made (compiled and checked by toTailOptions and loadTailFiles, so a usage
 * error never gets here). Throws AuthError, ConnectionError, TimeoutError or
 * RuntimeError; a normal end (count, Ctrl-C, --no-follow, closed stdout) returns.
 */
export async function runTail(options: TailOptions, io: IO, deps: TailDeps & { readonly lookup?: HostLookup } = {}): Promise<void> {
  await rejectUnresolvedBareWords(options.bareWords, deps.lookup);
  await runTailSession(options, io, deps);
}
