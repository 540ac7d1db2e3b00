import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RuntimeError, UsageError } from '../../errors.js';
import { describeError } from '../../errors.js';
import type { IO } from '../../io/io.js';
import type { EventSource } from '../../sources/event-source.js';
import type { CountingSource } from '../../sources/stream-source.js';
import { createServerLog } from '../../server/log.js';
import { isLoopbackHost } from '../../server/request-guard.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { ServeOptions } from './options.js';

/** Reads API keys from a file: one per line, blank lines and `#` comments ignored. Never echoes a key. */
export async function readApiKeyFile(path: string, cwd: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --api-key-file ${path}${code ? ` (${code})` : ''}: check the path and its permissions`);
  }
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  if (keys.length === 0) throw new UsageError(`--api-key-file ${path} contains no keys: put one key per line`);
  return keys;
}

/** Builds the event sources the options ask for (demo, stdin, replay). */
export async function createSources(options: ServeOptions, io: IO): Promise<EventSource[]> {
  const sources: EventSource[] = [];
  if (options.demo) {
    const { createSimulatorSource } = await import('../../sources/fleet/simulator.js');
    const demo = createSimulatorSource({ servers: options.demo.servers, ratePerSec: options.demo.ratePerSec, seed: options.demo.seed, now: () => io.now() });
    sources.push(demo);
  }
  if (options.stdin) {
    const { createStreamSource } = await import('../../sources/stream-source.js');
    sources.push(createStreamSource('stdin', io.stdin));
  }
  if (options.replay) {
    const { checkReplayFile, createReplaySource } = await import('../../sources/replay.js');
    const path = resolve(io.cwd, options.replay.path);
    // Fail before listening when the file cannot be read.
    await checkReplayFile(path, options.replay.path);
    sources.push(createReplaySource(path, { speed: options.replay.speed, loop: options.replay.loop, monotonicMs: () => io.monotonicMs(), label: options.replay.path }));
  }
  return sources;
}

/**
 * Runs `serve` until SIGINT/SIGTERM: starts the server, prints the
 * `listening on` line, feeds every source into the hub, and on a signal stops
 * accepting, closes every client with 1001 and resolves (exit 0).
 */
export async function runServe(options: ServeOptions, io: IO): Promise<void> {
  const log = createServerLog(io, options.logFormat);
  const apiKeys = [...options.server.apiKeys];
  if (options.apiKeyFile !== undefined) apiKeys.push(...(await readApiKeyFile(options.apiKeyFile, io.cwd)));

  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const removeHandlers = [io.onSignal('SIGINT', () => stopRequested()), io.onSignal('SIGTERM', () => stopRequested())];
  let stopping = false;
  let server: RunningServer | undefined;
  try {
    const sources = await createSources(options, io);
    const running = await startServer({ ...options.server, apiKeys }, io, log);
    server = running;
    log.info(`listening on ${running.url}`, { event: 'listening', url: running.url, port: running.port });
    if (apiKeys.length > 0) {
      log.info(`clients must send an API key (${apiKeys.length} accepted)`, { event: 'auth', keys: apiKeys.length });
    } else if (!isLoopbackHost(options.server.host)) {
      log.warn(`no API key on a non-loopback address (--insecure-no-auth): anyone who can reach ${options.server.host} can read and publish events`, { event: 'auth', keys: 0 });
    }
    // Sources name themselves in their messages ("demo: ...", "stdin line 3: ...").
    const sourceLog = (source: EventSource) => ({
      info: (message: string) => log.info(message, { event: 'source', source: source.name }),
      warn: (message: string) => log.warn(message, { event: 'source', source: source.name }),
    });
    for (const source of sources) {
      Promise.resolve()
        .then(() => source.run(running.hub, sourceLog(source)))
        .then(
        () => {
          if (stopping) return;
          const counts = source as Partial<CountingSource>;
          const summary =
            typeof counts.published === 'number' ? `: ${counts.published} events published, ${counts.badLines ?? 0} bad lines` : '';
          log.info(`${source.name} ended${summary}; still serving (clients stay connected, history and HTTP ingest stay available)`, {
            event: 'source_ended',
            source: source.name,
            published: counts.published,
            bad_lines: counts.badLines,
          });
        },
        (error: unknown) => log.warn(`${source.name} failed: ${describeError(error)}; still serving`, { event: 'source_failed', source: source.name }),
      );
    }
    await stopped;
    stopping = true;
    log.info('shutting down: closing clients', { event: 'stopping' });
    for (const source of sources) source.stop();
    if (options.stdin) {
      // A pending read on a quiet pipe would keep the process alive after run() returns.
      io.stdin.pause();
      (io.stdin as { destroy?: () => void }).destroy?.();
    }
    await running.close();
    log.info('stopped', { event: 'stopped' });
  } catch (error) {
    await server?.close();
    if (error instanceof UsageError || error instanceof RuntimeError) throw error;
    throw new RuntimeError('serve failed', { cause: error });
  } finally {
    for (const remove of removeHandlers) remove();
  }
}
