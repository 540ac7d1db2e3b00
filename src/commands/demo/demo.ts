import { randomInt } from 'node:crypto';
import { startEmbeddedServe } from '../../app/embedded-serve.js';
import { describeError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import { silentLog } from '../../server/log.js';
import { runTailSession } from '../../tail/run.js';
import type { DemoOptions } from './options.js';

/**
 * `hangar-events demo`: an embedded serve with the simulated fleet on
 * 127.0.0.1 (a free port unless --port), tailed in the same process with
 * tail's own pipeline. Ctrl-C ends the tail (a normal end), then the fleet
 * stops and the server closes its clients, so the command exits 0.
 */
export async function runDemo(options: DemoOptions, io: IO): Promise<void> {
  // A seed is always chosen here and printed, so any run can be played again with --seed (as serve does).
  const fleet = options.serve.demo === undefined ? undefined : { ...options.serve.demo, seed: options.serve.demo.seed ?? randomInt(2 ** 32) };
  // The server stays quiet: its connect/disconnect lines would tear the live table.
  const embedded = await startEmbeddedServe({ ...options.serve, demo: fleet }, io, silentLog);
  const { server } = embedded;
  try {
    embedded.feed({
      log: (source) => ({ info: () => {}, warn: (message) => io.stderr.write(`hangar-events: demo: ${source.name}: ${message}\n`) }),
      ended: () => {},
      failed: (_source, error) => io.stderr.write(`hangar-events: demo: the simulated fleet stopped: ${describeError(error)}\n`),
    });
    io.stderr.write(
      [
        `hangar-events: demo: a simulated fleet of ${fleet?.servers ?? 0} MCP servers on ${server.url}, seed ${fleet?.seed ?? '-'} (--seed ${fleet?.seed ?? '-'} plays it again)`,
        `hangar-events: demo: from a second terminal: ${commandName(io.env)} tail ${server.url}`,
        `hangar-events: demo: Ctrl-C stops both`,
        '',
      ].join('\n'),
    );
    await runTailSession({ ...options.tail, urls: [server.url] }, io);
  } finally {
    await embedded.close();
  }
}

/**
 * How the user reaches this program from a second terminal: through npx when
 * this run came through npx or npm exec (npm sets npm_command=exec), since the
 * command may then not be on PATH at all.
 */
export function commandName(env: Readonly<Record<string, string | undefined>>): string {
  return env.npm_command === 'exec' ? 'npx hangar-events' : 'hangar-events';
}
