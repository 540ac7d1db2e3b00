import type { IO } from '../../io/io.js';
import { createColorScheme } from '../../io/color.js';
import { resolveColorLevel } from '../../io/color-level.js';
import { runTailSession, type TailDeps } from '../../tail/run.js';
import { canDrawLive } from '../../io/terminal-size.js';
import { createTopSink } from '../../top/top-sink.js';
import { DEFAULT_TOP_INTERVAL_MS, DEFAULT_TOP_REFRESH_MS, type TopOptions } from './options.js';

/**
 * `hangar-events top`: one tail session whose output is the aggregates of
 * one grouping. On a terminal (and not --once, not -o json/ndjson) it redraws
 * in place until q or Ctrl-C; otherwise it prints once and exits 0: after
 * --interval when following, at the end of the history with --no-follow.
 */
export async function runTop(options: TopOptions, io: IO, deps: TailDeps = {}): Promise<void> {
  const session = options.session;
  const live = canDrawLive(io) && !options.once && options.output === 'table';
  const colors = createColorScheme(options.output === 'table' ? resolveColorLevel(io, io.stdout.isTTY, session.color) : 0);
  await runTailSession(session, io, {
    ...deps,
    fetchSnapshot: null,
    sink: {
      ownsTerminal: live,
      create: (parts) =>
        createTopSink(io, {
          by: options.by,
          sort: options.sort,
          output: options.output,
          maxRows: options.rows,
          colors,
          live,
          refreshMs: options.intervalMs ?? DEFAULT_TOP_REFRESH_MS,
          onceAfterMs: live || !session.follow ? undefined : (options.intervalMs ?? DEFAULT_TOP_INTERVAL_MS),
          follow: session.follow,
          onQuit: parts.onQuit ?? (() => undefined),
          status: live ? undefined : parts.status,
        }),
    },
  });
}
